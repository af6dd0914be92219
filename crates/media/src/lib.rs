//! Media: the image pipeline every upload goes through, and the two stores processed
//! images live in — a local directory (default) or an S3-compatible bucket.
#![forbid(unsafe_code)]

mod animation;
pub mod defaults;
mod fit;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod local;
mod pipeline;
mod plan;
mod rejection;
mod s3;
mod sniff;

pub use local::LocalMediaStore;
pub use pipeline::{Processed, Purpose, process};
pub use plan::{MAX_DECODED_BYTES, MAX_PIXELS, MAX_SIDE, Plan, inspect};
pub use rejection::Rejection;
pub use s3::{S3Config, S3MediaStore};
