//! The two real ways a message leaves: an SMTP server, or `.eml` files in an outbox directory.

use crate::{MailError, OutgoingMail};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text; for a relay on the same host or a test sink.
    None,
    /// Upgrade with STARTTLS, refusing servers that do not offer it (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    /// The name given in EHLO; strict servers reject a container's random hostname.
    pub helo: Option<String>,
    /// Login and password, when the server wants them.
    pub credentials: Option<(String, SecretString)>,
}

#[derive(Clone, Debug)]
pub enum TransportConfig {
    Smtp(SmtpConfig),
    /// Development: each message becomes a `.eml` file in this directory.
    Outbox(PathBuf),
}

pub(crate) enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Transport {
    pub(crate) fn new(config: TransportConfig) -> Result<Self, MailError> {
        match config {
            TransportConfig::Smtp(smtp) => Ok(Self::Smtp(smtp_transport(smtp)?)),
            TransportConfig::Outbox(dir) => {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailError::Outbox(dir.display().to_string(), e))?;
                Ok(Self::Outbox(AsyncFileTransport::new(&dir), dir))
            }
        }
    }

    pub(crate) async fn send(
        &self,
        message: &Message,
        mail: &OutgoingMail,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match self {
            Self::Smtp(smtp) => {
                smtp.send(message.clone()).await?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "e-mail sent");
            }
            Self::Outbox(outbox, dir) => {
                let id = outbox.send(message.clone()).await?;
                let file = dir.join(format!("{id}.eml"));
                let link = mail.link.as_deref().unwrap_or("-");
                tracing::info!(to = %mail.to, file = %file.display(), %link, "e-mail written to the outbox");
            }
        }
        Ok(())
    }
}

fn smtp_transport(config: SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let builder = match config.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?
        }
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
    };
    let mut builder = builder
        .port(config.port.unwrap_or(config.security.default_port()))
        .timeout(Some(Duration::from_secs(30)));
    if let Some(helo) = config.helo {
        builder = builder.hello_name(ClientId::Domain(helo));
    }
    if let Some((user, password)) = config.credentials {
        builder = builder.credentials(Credentials::new(user, password.expose_secret().to_owned()));
    }
    Ok(builder.build())
}
