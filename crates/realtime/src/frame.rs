//! A frame as the hub hands it to sockets: UTF-8 text, rendered once, shared by every socket
//! of the channel. Cloning one (once per socket) copies none of its bytes: it counts one
//! more reference to the same buffer.

use tungstenite::{Bytes, Utf8Bytes};

/// Text for a socket, in a shared buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame(Utf8Bytes);

impl Frame {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for Frame {
    /// Takes the string's buffer over, without copying it.
    fn from(text: String) -> Self {
        Self(text.into())
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Self(text.into())
    }
}

/// The frame's buffer (valid UTF-8), shared, not copied.
impl From<Frame> for Bytes {
    fn from(Frame(text): Frame) -> Self {
        text.into()
    }
}
