//! Why an upload was refused, and the sentence the client reads under the file's field.

use crate::plan::{MAX_ANIMATION_PIXELS, MAX_DECODED_BYTES, MAX_PIXELS, MAX_SIDE};
use std::fmt;

const MIB: u64 = 1024 * 1024;

/// Why an upload was refused; displayed as the sentence the client sees.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLarge {
        limit: usize,
    },
    NotAnImage,
    Unsupported(&'static str),
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// A side longer than [`MAX_SIDE`]: such strips cost far more to resize than their
    /// pixel count says.
    TooLong {
        width: u32,
        height: u32,
    },
    /// Deep pixels (16 bits per channel) whose decoded size is over [`MAX_DECODED_BYTES`].
    TooDeep {
        width: u32,
        height: u32,
        bits: u16,
        bytes: u64,
    },
    TooManyFrames {
        frames: u64,
        width: u32,
        height: u32,
    },
    /// Processing would need more memory than the server gives all images together: it
    /// could never start.
    OverBudget {
        needed: u64,
        budget: u64,
    },
    /// The decoder wanted more memory than the header announced.
    OverLimit,
    /// Decoded, but could not be encoded again (or the decoder gave up mid-way).
    Unprocessable,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Upload a valid image. ")?;
        match self {
            Self::Empty => f.write_str("The submitted file is empty."),
            Self::TooLarge { limit } => {
                write!(f, "The file is larger than the limit of {}.", size(*limit))
            }
            Self::NotAnImage => {
                f.write_str("The file you uploaded was either not an image or a corrupted image.")
            }
            Self::Unsupported(format) => write!(
                f,
                "{format} images are not supported; upload a JPEG, PNG, GIF or WebP image."
            ),
            Self::TooManyPixels { width, height } => write!(
                f,
                "The image is {width} × {height} pixels; at most {} megapixels are accepted.",
                MAX_PIXELS / 1_000_000
            ),
            Self::TooLong { width, height } => write!(
                f,
                "The image is {width} × {height} pixels; at most {MAX_SIDE} pixels on a side are \
                 accepted."
            ),
            Self::TooDeep {
                width,
                height,
                bits,
                bytes,
            } => write!(
                f,
                "The image is {width} × {height} pixels of {bits} bits per channel, {} MiB once \
                 decoded; at most {} MiB are accepted. Save it with 8 bits per channel.",
                bytes.div_ceil(MIB),
                MAX_DECODED_BYTES / MIB
            ),
            Self::TooManyFrames {
                frames,
                width,
                height,
            } => write!(
                f,
                "The animation has more than {} frames of {width} × {height} pixels; at most {} \
                 megapixels over all frames are accepted.",
                frames - 1,
                MAX_ANIMATION_PIXELS / 1_000_000
            ),
            Self::OverBudget { needed, budget } => write!(
                f,
                "Processing this image would take {} MiB of memory, more than the {} MiB this \
                 server allows; upload a smaller image.",
                needed.div_ceil(MIB),
                budget / MIB
            ),
            Self::OverLimit => {
                f.write_str("The image needs more memory to decode than its header announces.")
            }
            Self::Unprocessable => f.write_str("The image could not be processed."),
        }
    }
}

fn size(bytes: usize) -> String {
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            Rejection::TooLarge {
                limit: 4 * 1024 * 1024
            }
            .to_string(),
            "Upload a valid image. The file is larger than the limit of 4 MiB."
        );
        assert_eq!(
            Rejection::TooManyPixels {
                width: 20_000,
                height: 20_000
            }
            .to_string(),
            "Upload a valid image. The image is 20000 × 20000 pixels; at most 40 megapixels are accepted."
        );
        assert_eq!(
            Rejection::TooLong {
                width: 40_000_000,
                height: 1
            }
            .to_string(),
            "Upload a valid image. The image is 40000000 × 1 pixels; at most 16384 pixels on a \
             side are accepted."
        );
        assert_eq!(
            Rejection::TooDeep {
                width: 6400,
                height: 6250,
                bits: 16,
                bytes: 320_000_000
            }
            .to_string(),
            "Upload a valid image. The image is 6400 × 6250 pixels of 16 bits per channel, 306 \
             MiB once decoded; at most 152 MiB are accepted. Save it with 8 bits per channel."
        );
        assert_eq!(
            Rejection::OverBudget {
                needed: 300 * MIB + 1,
                budget: 256 * MIB
            }
            .to_string(),
            "Upload a valid image. Processing this image would take 301 MiB of memory, more than \
             the 256 MiB this server allows; upload a smaller image."
        );
        assert!(
            Rejection::Unsupported("BMP")
                .to_string()
                .contains("BMP images are not supported")
        );
    }
}
