//! Outgoing e-mail. Handlers hand a message to [`Mailer::send`], which never waits on the
//! network: a single worker task delivers the queue through the configured transport —
//! SMTP when a host is configured, otherwise a development outbox of `.eml` files — and
//! logs what it could not deliver. At shutdown the worker drains what is queued.
#![forbid(unsafe_code)]

mod transport;

pub use transport::{SmtpConfig, SmtpSecurity, TransportConfig};

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use transport::Transport;

/// Messages waiting for the worker beyond this are dropped with an error in the log rather
/// than held in memory without bound.
const QUEUE_CAPACITY: usize = 1024;
const ATTEMPTS: u32 = 3;

/// A message with a plain-text and an HTML body.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the message exists to deliver. The development outbox logs it, so a
    /// developer can follow it without opening the file.
    pub link: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid sender address {0:?}")]
    From(String, #[source] lettre::address::AddressError),
    #[error("SMTP transport")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("outbox directory {0}")]
    Outbox(String, #[source] std::io::Error),
}

/// The handle handlers use; cheap to clone.
#[derive(Clone, Debug)]
pub struct Mailer {
    queue: mpsc::Sender<OutgoingMail>,
}

impl Mailer {
    /// Queues a message for delivery and returns at once.
    pub fn send(&self, mail: OutgoingMail) {
        if let Err(error) = self.queue.try_send(mail) {
            tracing::error!(%error, "e-mail queue full or closed; message dropped");
        }
    }
}

/// The task that delivers queued messages.
pub struct MailWorker {
    task: JoinHandle<()>,
    close: oneshot::Sender<()>,
}

impl MailWorker {
    /// Stops taking new messages, then waits (at most `grace`) for the queued ones to go out.
    /// Does not depend on every [`Mailer`] being dropped: a request still running at shutdown
    /// may hold one.
    pub async fn finish(self, grace: Duration) {
        let _ = self.close.send(());
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!("e-mail queue not drained before shutdown");
        }
    }
}

/// Starts the delivery worker for `config`, sending as `from`.
pub fn start(from: &str, config: TransportConfig) -> Result<(Mailer, MailWorker), MailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| MailError::From(from.to_owned(), e))?;
    let transport = Transport::new(config)?;
    let (queue, inbox) = mpsc::channel(QUEUE_CAPACITY);
    let (close, closing) = oneshot::channel();
    let task = tokio::spawn(deliver(inbox, closing, from, transport));
    Ok((Mailer { queue }, MailWorker { task, close }))
}

async fn deliver(
    mut inbox: mpsc::Receiver<OutgoingMail>,
    mut closing: oneshot::Receiver<()>,
    from: Mailbox,
    transport: Transport,
) {
    let mut open = true;
    loop {
        let next = tokio::select! {
            mail = inbox.recv() => mail,
            _ = &mut closing, if open => {
                // What is queued is still received; then `recv` answers `None`.
                inbox.close();
                open = false;
                continue;
            }
        };
        let Some(mail) = next else { return };
        match compose(&from, &mail) {
            Ok(message) => deliver_one(&transport, &message, &mail).await,
            Err(error) => tracing::error!(to = %mail.to, %error, "cannot compose e-mail; dropped"),
        }
    }
}

async fn deliver_one(transport: &Transport, message: &Message, mail: &OutgoingMail) {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match transport.send(message, mail).await {
            Ok(()) => return,
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(to = %mail.to, attempt, error = %error, "e-mail delivery failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(error) => {
                tracing::error!(to = %mail.to, error = %error, "e-mail delivery failed; giving up")
            }
        }
    }
}

fn compose(
    from: &Mailbox,
    mail: &OutgoingMail,
) -> Result<Message, Box<dyn std::error::Error + Send + Sync>> {
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(readable(&mail.text));
    let html = SinglePart::builder()
        .header(ContentType::TEXT_HTML)
        .body(mail.html.clone());
    let message = Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(&mail.subject)
        .multipart(MultiPart::alternative().singlepart(text).singlepart(html))?;
    Ok(message)
}

/// The plain-text part, kept as written whenever the mail format allows it (lines of at
/// most 998 bytes): lettre would otherwise quote-print every line over 76 characters, and a
/// link split and escaped that way cannot be copied out of an `.eml` file or a terminal.
fn readable(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.split("\r\n").any(|line| line.len() > 998) {
        return Body::new(text.to_owned());
    }
    let encoding = if crlf.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outbox_writes_one_eml_file_with_text_and_html_parts() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let (mailer, worker) = start(
            "pingme <noreply@example.com>",
            TransportConfig::Outbox(outbox.clone()),
        )
        .unwrap();
        mailer.send(OutgoingMail {
            to: "alice@example.com".into(),
            subject: "Hello".into(),
            text: "plain body https://example.com/x".into(),
            html: "<p>html body</p>".into(),
            link: Some("https://example.com/x".into()),
        });
        drop(mailer);
        worker.finish(Duration::from_secs(5)).await;

        let files: Vec<_> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("To: alice@example.com"), "{eml}");
        assert!(eml.contains("Subject: Hello"), "{eml}");
        assert!(eml.contains("multipart/alternative"), "{eml}");
        assert!(
            eml.contains("text/plain") && eml.contains("plain body"),
            "{eml}"
        );
        assert!(
            eml.contains("text/html") && eml.contains("<p>html body</p>"),
            "{eml}"
        );
    }

    #[tokio::test]
    async fn finishing_drains_the_queue_even_while_a_mailer_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let (mailer, worker) = start(
            "noreply@example.com",
            TransportConfig::Outbox(outbox.clone()),
        )
        .unwrap();
        for n in 0..3 {
            mailer.send(OutgoingMail {
                to: format!("user{n}@example.com"),
                subject: "Queued".into(),
                text: "text".into(),
                html: "<p>html</p>".into(),
                link: None,
            });
        }
        tokio::time::timeout(
            Duration::from_secs(5),
            worker.finish(Duration::from_secs(5)),
        )
        .await
        .expect("finish does not wait for the mailer to be dropped");
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 3);
        drop(mailer);
    }

    #[test]
    fn long_lines_of_the_text_part_stay_whole() {
        let link = format!(
            "https://example.com/verify/?uid=MQ&token={}",
            "x".repeat(200)
        );
        let body = readable(&format!("Hello,\n\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        let raw = String::from_utf8(body.into_vec()).unwrap();
        assert!(raw.contains(&format!("\r\n{link}\r\n")), "{raw}");
        assert_eq!(
            readable("Bonjour Zoë").encoding(),
            ContentTransferEncoding::EightBit
        );
        assert_ne!(
            readable(&"y".repeat(2000)).encoding(),
            ContentTransferEncoding::SevenBit
        );
    }

    #[test]
    fn a_bad_sender_address_is_refused_at_start() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        let result = start("not an address", TransportConfig::Outbox("/tmp".into()));
        assert!(matches!(result, Err(MailError::From(..))));
    }
}
