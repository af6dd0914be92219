//! A small SMTP server on a local port that accepts every message and keeps it, so the
//! e-mail flows run through a real SMTP conversation with lettre.

use super::eventually;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Clone, Debug)]
pub struct Received {
    pub helo: String,
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed and decoded.
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, store.clone()));
            }
        });
        Self {
            port,
            received,
            task,
        }
    }

    /// The first message for `to`, waiting for it to arrive.
    pub async fn wait_for(&self, to: &str) -> Received {
        eventually(Duration::from_secs(10), || async { self.find(to, 0) }).await
    }

    /// The `n`th (from 0) message for `to`, waiting for it to arrive.
    pub async fn wait_for_nth(&self, to: &str, n: usize) -> Received {
        eventually(Duration::from_secs(10), || async { self.find(to, n) }).await
    }

    pub fn count_to(&self, to: &str) -> usize {
        self.lock()
            .iter()
            .filter(|m| m.to.iter().any(|r| r == to))
            .count()
    }

    fn find(&self, to: &str, n: usize) -> Option<Received> {
        self.lock()
            .iter()
            .filter(|m| m.to.iter().any(|r| r == to))
            .nth(n)
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Received>> {
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn converse(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut current = Received {
        helo: String::new(),
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    if write
        .write_all(b"220 sink.test ESMTP ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            current.helo = line[4..].trim().to_owned();
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            current.from = address(&line[10..]);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(address(&line[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
                data.push('\n');
            }
            current.data = super::mail::decode(&data);
            let helo = current.helo.clone();
            let done = std::mem::replace(
                &mut current,
                Received {
                    helo,
                    from: String::new(),
                    to: Vec::new(),
                    data: String::new(),
                },
            );
            store.lock().unwrap_or_else(|p| p.into_inner()).push(done);
            b"250 OK queued\r\n"
        } else if upper == "RSET" {
            current.from.clear();
            current.to.clear();
            b"250 OK\r\n"
        } else if upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn address(text: &str) -> String {
    let text = text.trim();
    let inner = text
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or(text, |(a, _)| a);
    inner.to_owned()
}
