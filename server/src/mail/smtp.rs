//! One SMTP delivery through lettre, with a timeout on every step.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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

pub async fn send(settings: &SmtpSettings, mail: &Mail) -> Result<(), SendError> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|_| SendError::Address(settings.from.clone()))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| SendError::Address(mail.to.clone()))?;
    // Quoted-printable: readable as it is, and every client joins the long link's soft
    // line breaks back together.
    let body = Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| SendError::Build("cannot encode the body".into()))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| SendError::Build(e.to_string()))?;
    let transport = transport(settings)?;
    tokio::time::timeout(TIMEOUT * 2, transport.send(message))
        .await
        .map_err(|_| SendError::Smtp("timed out".into()))?
        .map_err(|e| SendError::Smtp(e.to_string()))?;
    Ok(())
}
