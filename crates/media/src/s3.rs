//! Media in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …), served to clients from the
//! bucket's public base URL.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
};
use pingme_domain::media::{MediaError, MediaStore, StoredObject, content_type, is_valid_key};
use std::time::{Duration, SystemTime};

/// Objects are content-addressed: a URL always serves the same bytes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where the bucket is and how to reach it.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`, …; AWS when `None`.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Public base URL of the objects; default `<endpoint>/<bucket>`.
    pub public_base_url: Option<String>,
}

#[derive(Debug)]
pub struct S3MediaStore {
    bucket: AmazonS3,
    base_url: String,
}

impl S3MediaStore {
    pub fn new(config: &S3Config) -> Result<Self, MediaError> {
        let options = ClientOptions::new()
            .with_timeout(Duration::from_secs(30))
            .with_connect_timeout(Duration::from_secs(5));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_client_options(options);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        let bucket = builder.build().map_err(|e| MediaError::Other(e.into()))?;
        let base_url = match (&config.public_base_url, &config.endpoint) {
            (Some(base), _) => base.clone(),
            (None, Some(endpoint)) => {
                format!("{}/{}", endpoint.trim_end_matches('/'), config.bucket)
            }
            (None, None) => format!(
                "https://{}.s3.{}.amazonaws.com",
                config.bucket, config.region
            ),
        };
        Ok(Self {
            bucket,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }
}

fn path(key: &str) -> Result<Path, MediaError> {
    if is_valid_key(key) {
        Ok(Path::from(key))
    } else {
        Err(MediaError::Other(
            format!("invalid media key {key:?}").into(),
        ))
    }
}

fn store_error(error: object_store::Error) -> MediaError {
    match error {
        object_store::Error::Generic { .. } => MediaError::Unavailable(error.into()),
        other => MediaError::Other(other.into()),
    }
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError> {
        // Clients load objects straight from the bucket: the headers travel with them.
        let mut attributes = Attributes::new();
        if let Some(kind) = content_type(key) {
            attributes.insert(Attribute::ContentType, kind.into());
        }
        attributes.insert(Attribute::CacheControl, IMMUTABLE.into());
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.bucket
            .put_opts(&path(key)?, PutPayload::from(bytes), options)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let Ok(location) = path(key) else {
            return Ok(None);
        };
        match self.bucket.get(&location).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(store_error)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(store_error(error)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, MediaError> {
        let folder = path(prefix.trim_end_matches('/'))?;
        let found: Vec<_> = self
            .bucket
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(store_error)?;
        Ok(found
            .into_iter()
            .map(|meta| StoredObject {
                key: meta.location.to_string(),
                modified: SystemTime::from(meta.last_modified),
            })
            .collect())
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.bucket.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base_url)
    }

    fn backend(&self) -> &'static str {
        "s3"
    }
}
