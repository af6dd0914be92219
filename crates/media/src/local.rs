//! Media in a local directory, served by pingme itself under `/media/`.

use async_trait::async_trait;
use pingme_domain::media::{MediaError, MediaStore, is_valid_key};
use std::io::ErrorKind;
use std::path::PathBuf;

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
        // Written aside, then renamed: a reader never sees half a file.
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
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
