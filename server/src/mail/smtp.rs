//! One SMTP delivery through lettre, with a timeout on every step.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{SmtpSecurity, SmtpSettings};

use super::Mail;

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

fn transport(settings: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let smtp = |e: lettre::transport::smtp::Error| SendError::Smtp(e.to_string());
    let builder = match settings.security {
        SmtpSecurity::None => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        }
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host).map_err(smtp)?
        }
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(smtp)?
        }
    };
    let mut builder = builder.port(settings.port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Sends one mail now: built as [`super::message::build`] describes, then one SMTP delivery.
pub async fn send(settings: &SmtpSettings, mail: &Mail) -> Result<(), SendError> {
    let message = super::message::build(&settings.from, mail)?;
    let transport = transport(settings)?;
    tokio::time::timeout(TIMEOUT * 2, transport.send(message))
        .await
        .map_err(|_| SendError::Smtp("timed out".into()))?
        .map_err(|e| SendError::Smtp(e.to_string()))?;
    Ok(())
}
