//! Media in a local directory, served by pingme itself under `/media/`.

use async_trait::async_trait;
use pingme_domain::media::{MediaError, MediaStore, StoredObject, is_valid_key};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct LocalMediaStore {
    root: PathBuf,
    /// `<public URL>/media`, without a trailing `/`.
    base_url: String,
}

impl LocalMediaStore {
    pub fn new(root: PathBuf, base_url: String) -> Self {
        Self {
            root,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, MediaError> {
        if is_valid_key(key) {
            Ok(self.root.join(key))
        } else {
            Err(MediaError::Other(
                format!("invalid media key {key:?}").into(),
            ))
        }
    }
}

/// Distinct for every call in this process and across processes sharing the directory.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos}-{n}", std::process::id())
}

fn io_error(error: std::io::Error) -> MediaError {
    MediaError::Other(error.into())
}

#[async_trait]
impl MediaStore for LocalMediaStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        // Written aside under a name no other write uses, then renamed: a reader never sees
        // half a file, and two writes of one key cannot mix.
        let partial = path.with_extension(format!("{}.partial", unique_suffix()));
        tokio::fs::write(&partial, bytes).await.map_err(io_error)?;
        tokio::fs::rename(&partial, &path).await.map_err(io_error)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let Ok(path) = self.path(key) else {
            return Ok(None);
        };
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error)
                if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) =>
            {
                Ok(None)
            }
            Err(error) => Err(io_error(error)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, MediaError> {
        let folder = prefix.trim_end_matches('/');
        let mut entries = match tokio::fs::read_dir(self.path(folder)?).await {
            Ok(entries) => entries,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(io_error(error)),
        };
        let mut found = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
            let metadata = entry.metadata().await.map_err(io_error)?;
            if metadata.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let modified = metadata.modified().map_err(io_error)?;
                found.push(StoredObject {
                    key: format!("{folder}/{name}"),
                    modified,
                });
            }
        }
        Ok(found)
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(error) if error.kind() != ErrorKind::NotFound => Err(io_error(error)),
            _ => Ok(()),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base_url)
    }

    fn backend(&self) -> &'static str {
        "local"
    }
}
