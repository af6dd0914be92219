//! The media port: where processed images live and the URL clients load them from.
//! Keys are content-addressed (`avatars/42/<sha256>.jpg`): a key always names the same
//! bytes, so URLs never go stale and writing a key twice is harmless. Because two requests
//! may write one key, objects are never deleted on the spot: a sweep removes those nothing
//! refers to once they are old enough that no request can still be about to refer to them.

use crate::store::BoxError;
use async_trait::async_trait;
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The store could not be reached or timed out: worth retrying later (503).
    #[error("media store unavailable")]
    Unavailable(#[source] BoxError),
    #[error("media store failure")]
    Other(#[source] BoxError),
}

/// An object found by [`MediaStore::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    /// When it was last written.
    pub modified: SystemTime,
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError>;
    /// The object's bytes; `None` when there is no such object.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError>;
    /// Every object whose key starts with `prefix` (a `/`-terminated folder such as
    /// `avatars/42/`).
    async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, MediaError>;
    /// Removes the object; removing one that does not exist is not an error.
    async fn delete(&self, key: &str) -> Result<(), MediaError>;
    /// The absolute URL clients load the object from.
    fn url(&self, key: &str) -> String;
    /// Short name of the backend, for logs.
    fn backend(&self) -> &'static str;
}

/// The `Content-Type` of a stored object, from its key's extension. Keys are made by the
/// pipeline, which only writes these formats.
pub fn content_type(key: &str) -> Option<&'static str> {
    let extension = key.rsplit_once('.')?.1;
    Some(match extension {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// Whether `key` is one the pipeline could have made: lowercase letters, digits, `-`, `_`,
/// `.` and `/`-separated segments that are never empty, `.` or `..`. Anything else names no
/// object, whatever the store underneath would make of it.
pub fn is_valid_key(key: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    !key.is_empty()
        && key.len() <= 200
        && key.split('/').all(|segment| {
            !segment.is_empty() && segment != "." && segment != ".." && segment.chars().all(allowed)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_before_any_store_sees_them() {
        assert!(is_valid_key("avatars/42/0a1b2c.jpg"));
        for bad in [
            "",
            "/etc/passwd",
            "avatars/../secret",
            "a//b",
            "A.jpg",
            "a b.png",
            "a/./b",
            "x\\y",
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("avatars/1/x.jpg"), Some("image/jpeg"));
        assert_eq!(content_type("defaults/avatar.svg"), Some("image/svg+xml"));
        assert_eq!(content_type("x.exe"), None);
    }
}
