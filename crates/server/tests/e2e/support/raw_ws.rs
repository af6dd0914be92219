//! A WebSocket client with no manners, for abuse tests: it does only what the test tells it
//! — no automatic pongs, no reading unless asked — over a TCP connection that may come from
//! any local address (127.0.0.2, … are all this machine).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The receive buffer of the raw sockets (the kernel doubles it for its own bookkeeping).
const RECEIVE_BUFFER: u32 = 128 * 1024;

pub const TEXT: u8 = 0x1;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

pub struct RawSocket {
    stream: TcpStream,
    buffered: Vec<u8>,
    /// Where the unread part of `buffered` starts (frames are not drained one by one: a
    /// flood of small frames would make reading quadratic).
    read: usize,
}

/// A frame from the server.
#[derive(Debug)]
pub struct Frame {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A close frame's code.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// A TCP connection to `url`'s host and port (`http://127.0.0.1:8000`), from `from`.
pub async fn tcp_from(url: &str, from: IpAddr) -> std::io::Result<TcpStream> {
    let target: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("an http://ip:port URL");
    let socket = TcpSocket::new_v4()?;
    // A fixed receive window, whatever the machine's `tcp_rmem` lets a socket grow to (seen
    // up to 32 MiB): a client that stops reading holds the server's writes up as soon on every
    // machine.
    socket.set_recv_buffer_size(RECEIVE_BUFFER)?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(target).await
}

impl RawSocket {
    /// Opens `path` (`/1/2?token=…`) on the server at `url`, from 127.0.0.1; panics unless
    /// the server switches protocols.
    pub async fn open(url: &str, path: &str) -> Self {
        let stream = tcp_from(url, IpAddr::from([127, 0, 0, 1]))
            .await
            .expect("connect");
        Self::handshake(stream, path).await
    }

    async fn handshake(mut stream: TcpStream, path: &str) -> Self {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: pingme.test\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut socket = Self {
            stream,
            buffered: Vec::new(),
            read: 0,
        };
        let head = loop {
            if let Some(end) = find(&socket.buffered, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&socket.buffered[..end]).into_owned();
                socket.buffered.drain(..end + 4);
                break head;
            }
            assert!(
                socket.fill().await,
                "connection closed during the handshake"
            );
        };
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "handshake refused: {head}"
        );
        socket
    }

    /// Sends one masked frame (clients must mask).
    pub async fn send(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(&frame(opcode, payload)).await
    }

    /// Sends `count` copies of one frame in a single write.
    pub async fn send_many(
        &mut self,
        opcode: u8,
        payload: &[u8],
        count: usize,
    ) -> std::io::Result<()> {
        let one = frame(opcode, payload);
        self.stream.write_all(&one.repeat(count)).await
    }

    /// The next frame, or `None` once the server has closed the connection.
    pub async fn read(&mut self) -> Option<Frame> {
        loop {
            if let Some((frame, used)) = parse(&self.buffered[self.read..]) {
                self.read += used;
                return Some(frame);
            }
            self.buffered.drain(..self.read);
            self.read = 0;
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Reads until the server's close frame (its code) or the end of the connection
    /// (`None`), for at most `limit`.
    pub async fn close_code(&mut self, limit: Duration) -> Option<u16> {
        tokio::time::timeout(limit, async {
            while let Some(frame) = self.read().await {
                if frame.opcode == CLOSE {
                    return frame.close_code();
                }
            }
            None
        })
        .await
        .expect("the server closes the socket in time")
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0; 64 * 1024];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x12, 0x34, 0x56, 0x78];
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// An unmasked server frame at the start of `bytes`, and how many bytes it took.
fn parse(bytes: &[u8]) -> Option<(Frame, usize)> {
    let (&first, &second) = (bytes.first()?, bytes.get(1)?);
    let (length, at) = match second & 0x7F {
        126 => (
            usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?])),
            4,
        ),
        127 => {
            let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(raw)).ok()?, 10)
        }
        n => (usize::from(n), 2),
    };
    let payload = bytes.get(at..at + length)?.to_vec();
    let frame = Frame {
        opcode: first & 0x0F,
        payload,
    };
    Some((frame, at + length))
}

/// Sends `request` (a whole HTTP/1.1 request or a piece of one) from `from` and returns the
/// connection, to be watched by [`closed_within`].
pub async fn send_raw(url: &str, from: IpAddr, request: &[u8]) -> TcpStream {
    let mut stream = tcp_from(url, from).await.expect("connect");
    stream.write_all(request).await.expect("write");
    stream
}

/// Reads until the server closes the connection; what it sent, or `None` when it was still
/// open after `limit`.
pub async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut chunk = [0; 16 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// Sends `request` on an open connection and reads the answer's head; `None` when the
/// connection was closed instead (or nothing came within ten seconds).
pub async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Option<String> {
    stream.write_all(request).await.ok()?;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0; 4096];
        while find(&received, b"\r\n\r\n").is_none() {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        true
    })
    .await;
    matches!(read, Ok(true)).then(|| String::from_utf8_lossy(&received).into_owned())
}
