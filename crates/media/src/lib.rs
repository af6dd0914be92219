//! Media: the image pipeline every upload goes through, and the two stores processed
//! images live in — a local directory (default) or an S3-compatible bucket.
#![forbid(unsafe_code)]

pub mod defaults;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod local;
mod pipeline;
mod s3;
mod sniff;

pub use local::LocalMediaStore;
pub use pipeline::{MAX_PIXELS, Processed, Purpose, Rejection, process};
pub use s3::{S3Config, S3MediaStore};
