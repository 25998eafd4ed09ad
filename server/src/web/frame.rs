//! The frame around every page (`base.html`): the product name linking home, the sections
//! the signed-in user has, which one is open, the user's name and Sign out. Signed-out
//! pages get the brand only.

use super::session::SignedIn;

/// A part of the site with its own entry in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Decks,
    Account,
    Admin,
    /// A page outside every section (an error page).
    None,
}

/// One link in the header's navigation.
pub struct NavItem {
    pub href: &'static str,
    /// The text key of its label.
    pub label: &'static str,
    pub current: bool,
}

/// What `base.html` needs to draw the header.
pub struct Frame {
    /// The signed-in user's name, `None` on signed-out pages.
    pub user_name: Option<String>,
    pub is_admin: bool,
    pub current: Section,
    /// The CSRF token of the Sign out form.
    pub csrf: String,
}

impl Frame {
    /// The frame of a page nobody is signed in to: the brand only.
    pub fn signed_out() -> Frame {
        Frame {
            user_name: None,
            is_admin: false,
            current: Section::None,
            csrf: String::new(),
        }
    }

    /// The frame of a signed-in page in `current`.
    pub fn signed_in(signed_in: &SignedIn, current: Section) -> Frame {
        Frame {
            user_name: Some(signed_in.user.username.clone()),
            is_admin: signed_in.user.is_admin,
            current,
            csrf: signed_in.csrf.clone(),
        }
    }

    /// The sections this user has, in header order.
    pub fn nav(&self) -> Vec<NavItem> {
        if self.user_name.is_none() {
            return Vec::new();
        }
        let mut sections = vec![
            (Section::Decks, "/decks", "nav.decks"),
            (Section::Account, "/account", "nav.account"),
        ];
        if self.is_admin {
            sections.push((Section::Admin, "/admin/settings", "nav.admin"));
        }
        sections
            .into_iter()
            .map(|(section, href, label)| NavItem {
                href,
                label,
                current: section == self.current,
            })
            .collect()
    }
}
