//! The SMTP settings in effect: those saved on `/admin/settings` (in the `settings` table)
//! win over the config file, environment and flags, so an admin can change them without a
//! restart.

use crate::accounts::Actor;
use crate::config::{SmtpSecurity, SmtpSettings};
use crate::state::{Core, MailDomain};
use crate::store::{AuditEntry, SettingRow, StoreError};

pub const SMTP_SETTING_NAMES: [&str; 6] = [
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.username",
    "smtp.password",
    "smtp.from",
];

fn from_rows(rows: &[SettingRow]) -> Option<SmtpSettings> {
    let get = |name: &str| {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| r.value.clone())
            .filter(|v| !v.is_empty())
    };
    let host = get("smtp.host")?;
    let security = get("smtp.security")
        .and_then(|s| SmtpSecurity::parse(&s))
        .unwrap_or(SmtpSecurity::StartTls);
    Some(SmtpSettings {
        host,
        port: get("smtp.port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(security.default_port()),
        security,
        username: get("smtp.username"),
        password: get("smtp.password"),
        from: get("smtp.from").unwrap_or_else(|| crate::config::DEFAULT_SMTP_FROM.into()),
    })
}

/// The admin page's settings if any were saved, else the configured ones.
pub async fn effective_smtp(core: &Core, mail: &MailDomain) -> Option<SmtpSettings> {
    match core.with_store(|s| s.settings()).await {
        Ok(rows) => from_rows(&rows).or_else(|| mail.smtp_from_config()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read settings; using the configured SMTP");
            mail.smtp_from_config()
        }
    }
}

/// Saves the admin page's settings. `None` for the host clears them all (back to the
/// configured ones); `None` for the password keeps the stored one.
pub fn save_smtp(
    store: &dyn crate::store::Store,
    settings: Option<&SmtpSettings>,
    keep_password: bool,
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut values: Vec<(String, Option<String>)> = Vec::new();
    match settings {
        None => {
            for name in SMTP_SETTING_NAMES {
                values.push((name.into(), None));
            }
        }
        Some(s) => {
            values.push(("smtp.host".into(), Some(s.host.clone())));
            values.push(("smtp.port".into(), Some(s.port.to_string())));
            values.push(("smtp.security".into(), Some(s.security.as_str().into())));
            values.push(("smtp.username".into(), s.username.clone()));
            if !keep_password {
                values.push(("smtp.password".into(), s.password.clone()));
            }
            values.push(("smtp.from".into(), Some(s.from.clone())));
        }
    }
    let audit = AuditEntry {
        at: crate::clock::now(),
        actor: actor.to_string(),
        action: "settings.smtp".into(),
        user_id: None,
        detail: match settings {
            Some(s) => format!(
                "host={} port={} security={}",
                s.host,
                s.port,
                s.security.as_str()
            ),
            None => "cleared".into(),
        },
    };
    store.put_settings(&values, crate::clock::now(), &audit)
}
