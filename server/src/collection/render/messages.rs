//! The texts Anki shows in place of a card it cannot render: a template error, a blank
//! front, a cloze card whose cloze is gone. They reproduce what Anki's English interface
//! shows (observed through the oracle), including the Unicode isolation marks around each
//! inserted value, so a card looks the same on the web as in the desktop app.

use super::evaluate::TemplateError;
use super::html::escape_minimal;
use super::template::SyntaxError;

const SYNTAX_HELP: &str = "https://docs.ankiweb.net/templates/errors.html#template-syntax-error";
const BLANK_HELP: &str = "https://docs.ankiweb.net/templates/errors.html#front-of-card-is-blank";
const CLOZE_HELP: &str =
    "https://docs.ankiweb.net/templates/errors.html#no-cloze-filter-on-cloze-note-type";
const MORE_INFO: &str = "More information";

/// A value inserted into a message, between first-strong and pop isolation marks.
fn isolated(value: &str) -> String {
    format!("\u{2068}{value}\u{2069}")
}

fn quoted(value: &str) -> String {
    format!("'{}'", isolated(value))
}

/// The text shown for both sides when the front (`question`) or back template fails.
pub(super) fn template_error(error: &TemplateError, question: bool) -> String {
    let header = if question {
        "Front template has a problem:"
    } else {
        "Back template has a problem:"
    };
    let details = match error {
        TemplateError::Syntax(SyntaxError::NotClosed(open)) => {
            format!("Missing {}", quoted(&format!("{{{{/{open}}}}}")))
        }
        TemplateError::Syntax(SyntaxError::WrongClose {
            closed,
            open: Some(open),
        }) => format!(
            "Found {}, but expected {}",
            quoted(&format!("{{{{/{closed}}}}}")),
            quoted(&format!("{{{{/{open}}}}}"))
        ),
        TemplateError::Syntax(SyntaxError::WrongClose { closed, open: None }) => format!(
            "Found {}, but missing {} or {}",
            quoted(&format!("{{{{/{closed}}}}}")),
            quoted(&format!("{{{{#{closed}}}}}")),
            quoted(&format!("{{{{^{closed}}}}}"))
        ),
        TemplateError::FieldNotFound { written, field } => no_such_field(written, field),
        TemplateError::SectionNotFound { sigil, field } => {
            no_such_field(&format!("{sigil}{field}"), field)
        }
    };
    format!(
        "{header}<br>{}<br><a href='{SYNTAX_HELP}'>{MORE_INFO}</a>",
        escape_minimal(&details)
    )
}

fn no_such_field(written: &str, field: &str) -> String {
    format!(
        "Found {}, but there is no field called {}",
        quoted(&format!("{{{{{written}}}}}")),
        quoted(field)
    )
}

/// Shown when a normal card's front renders no field.
pub(super) fn blank_front() -> String {
    format!("<div>The front of this card is blank.<br><a href='{BLANK_HELP}'>{MORE_INFO}</a></div>")
}

/// Shown when a cloze card's number no longer appears in any field.
pub(super) fn missing_cloze(number: u32) -> String {
    format!(
        "<div>No cloze {} found on card.\nPlease either add a cloze deletion, or use the \
         Empty Cards tool.<br><a href='{CLOZE_HELP}'>{MORE_INFO}</a></div>",
        isolated(&number.to_string())
    )
}
