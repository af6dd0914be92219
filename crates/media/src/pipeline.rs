//! The one path every uploaded image takes: size limit, type from the bytes, a pixel budget
//! checked from the header before any pixel is decoded, decode, orientation applied, resize,
//! and a fresh encode that carries no metadata (EXIF, GPS, comments) from the upload.
//!
//! Pure CPU work: callers run it on the blocking pool.

use crate::sniff::{Sniffed, sniff};
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{AnimationDecoder, DynamicImage, Frame, ImageDecoder, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Cursor;

/// Images with more pixels than this are refused from their header (decompression bombs).
pub const MAX_PIXELS: u64 = 40_000_000;
/// An animation's frames together may decode to at most this many pixels.
const MAX_ANIMATION_PIXELS: u64 = 20_000_000;
const JPEG_QUALITY: u8 = 85;

/// What an image is for, which decides the box it is fitted into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Avatars and server or category icons: at most 512 × 512.
    Icon,
    /// Server banners: at most 1920 wide.
    Banner,
}

impl Purpose {
    fn bounds(self) -> (u32, u32) {
        match self {
            Self::Icon => (512, 512),
            Self::Banner => (1920, u32::MAX),
        }
    }
}

/// A processed image, ready to store.
#[derive(Debug)]
pub struct Processed {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Processed {
    /// The content-addressed file name: the SHA-256 of the bytes, and the extension.
    pub fn file_name(&self) -> String {
        let digest = Sha256::digest(&self.bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.{}", self.extension)
    }
}

/// Why an upload was refused; displayed as the sentence the client sees.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLarge { limit: usize },
    NotAnImage,
    Unsupported(&'static str),
    TooManyPixels { width: u32, height: u32 },
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
            Self::Unsupported(format) => {
                write!(
                    f,
                    "{format} images are not supported; upload a JPEG, PNG, GIF or WebP image."
                )
            }
            Self::TooManyPixels { width, height } => write!(
                f,
                "The image is {width} × {height} pixels; at most {} megapixels are accepted.",
                MAX_PIXELS / 1_000_000
            ),
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

/// Checks, decodes, fits and re-encodes an uploaded image.
pub fn process(bytes: &[u8], purpose: Purpose, max_bytes: usize) -> Result<Processed, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(Rejection::TooLarge { limit: max_bytes });
    }
    let format = match sniff(bytes) {
        Sniffed::Supported(format) => format,
        Sniffed::Unsupported(name) => return Err(Rejection::Unsupported(name)),
        Sniffed::Unknown => return Err(Rejection::NotAnImage),
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| Rejection::NotAnImage)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooManyPixels { width, height });
    }
    if format == ImageFormat::Gif
        && let Some(frames) = animation(bytes, width, height)?
    {
        return encode_animation(frames, purpose);
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|_| Rejection::NotAnImage)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Rejection::NotAnImage)?;
    image.apply_orientation(orientation);
    Ok(encode_still(fit(image, purpose)))
}

/// The frames of an animated GIF, or `None` for a single-frame one.
fn animation(bytes: &[u8], width: u32, height: u32) -> Result<Option<Vec<Frame>>, Rejection> {
    let decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|_| Rejection::NotAnImage)?;
    let frame_pixels = u64::from(width) * u64::from(height);
    let most_frames = (MAX_ANIMATION_PIXELS / frame_pixels.max(1)).max(1);
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        if frames.len() as u64 >= most_frames {
            return Err(Rejection::TooManyPixels { width, height });
        }
        frames.push(frame.map_err(|_| Rejection::NotAnImage)?);
    }
    Ok((frames.len() > 1).then_some(frames))
}

fn fit(image: DynamicImage, purpose: Purpose) -> DynamicImage {
    let (max_width, max_height) = purpose.bounds();
    if image.width() <= max_width && image.height() <= max_height {
        image
    } else {
        image.resize(max_width, max_height, FilterType::Lanczos3)
    }
}

/// PNG when some pixel is see-through, JPEG otherwise.
fn encode_still(image: DynamicImage) -> Processed {
    let (width, height) = (image.width(), image.height());
    let translucent = image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p.0[3] < 255);
    let mut bytes = Vec::new();
    let extension = if translucent {
        image
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .map(|()| "png")
    } else {
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .encode_image(&image.to_rgb8())
            .map(|()| "jpg")
    };
    // Encoding a decoded, in-memory image into a Vec cannot fail for these formats.
    let extension = extension.unwrap_or("png");
    Processed {
        bytes,
        extension,
        width,
        height,
    }
}

fn encode_animation(frames: Vec<Frame>, purpose: Purpose) -> Result<Processed, Rejection> {
    let (max_width, max_height) = purpose.bounds();
    let mut fitted = Vec::with_capacity(frames.len());
    for frame in frames {
        let delay = frame.delay();
        let image = fit(DynamicImage::ImageRgba8(frame.into_buffer()), purpose);
        fitted.push(Frame::from_parts(image.to_rgba8(), 0, 0, delay));
    }
    let (width, height) = fitted.first().map_or((0, 0), |f| f.buffer().dimensions());
    debug_assert!(width <= max_width && height <= max_height);
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| Rejection::NotAnImage)?;
        encoder
            .encode_frames(fitted)
            .map_err(|_| Rejection::NotAnImage)?;
    }
    Ok(Processed {
        bytes,
        extension: "gif",
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const LIMIT: usize = 4 * 1024 * 1024;

    fn icon(bytes: &[u8]) -> Result<Processed, Rejection> {
        process(bytes, Purpose::Icon, LIMIT)
    }

    fn decoded(processed: &Processed) -> DynamicImage {
        image::load_from_memory(&processed.bytes).expect("the output decodes")
    }

    #[test]
    fn translucent_images_become_png_and_opaque_ones_jpeg() {
        let out = icon(&fixtures::png(100, 80, true)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("png", 100, 80));
        let out = icon(&fixtures::png(100, 80, false)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("jpg", 100, 80));
        assert_eq!(decoded(&out).width(), 100);
        let out = icon(&fixtures::webp(30, 20)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("jpg", 30, 20));
    }

    #[test]
    fn large_images_are_fitted_keeping_their_aspect() {
        let out = icon(&fixtures::jpeg(3000, 2000)).unwrap();
        assert_eq!((out.width, out.height), (512, 341));
        assert_eq!(decoded(&out).width(), 512);
        let out = process(&fixtures::jpeg(2400, 800), Purpose::Banner, LIMIT).unwrap();
        assert_eq!((out.width, out.height), (1920, 640));
        let out = process(&fixtures::jpeg(1000, 3000), Purpose::Banner, LIMIT).unwrap();
        assert_eq!(
            (out.width, out.height),
            (1000, 3000),
            "banners are bounded in width only"
        );
    }

    #[test]
    fn exif_is_dropped_and_its_orientation_applied() {
        let upload = fixtures::jpeg_with_exif(40, 20, 6);
        assert!(
            fixtures::contains(&upload, b"Exif")
                && fixtures::contains(&upload, &fixtures::GPS_LATITUDE)
        );
        let out = icon(&upload).unwrap();
        assert!(!fixtures::contains(&out.bytes, b"Exif"));
        assert!(!fixtures::contains(&out.bytes, &fixtures::GPS_LATITUDE));
        assert_eq!(
            (out.width, out.height),
            (20, 40),
            "orientation 6 turns the picture upright"
        );
    }

    #[test]
    fn animations_keep_their_frames_and_are_fitted() {
        let out = icon(&fixtures::gif_animation(600, 300, 3)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("gif", 512, 256));
        let frames = GifDecoder::new(Cursor::new(&out.bytes))
            .unwrap()
            .into_frames()
            .count();
        assert_eq!(frames, 3);
        let still = icon(&fixtures::gif_animation(10, 10, 1)).unwrap();
        assert_eq!(
            still.extension, "jpg",
            "a single-frame GIF is a still image"
        );
    }

    #[test]
    fn every_bad_upload_gets_its_reason() {
        assert_eq!(icon(b"").unwrap_err(), Rejection::Empty);
        assert_eq!(
            icon(&fixtures::jpeg_sized(5 * 1024 * 1024)).unwrap_err(),
            Rejection::TooLarge { limit: LIMIT }
        );
        assert_eq!(
            icon(b"just some text, named .png").unwrap_err(),
            Rejection::NotAnImage
        );
        assert_eq!(
            icon(&fixtures::truncated_png()).unwrap_err(),
            Rejection::NotAnImage
        );
        assert_eq!(
            icon(&fixtures::png_header_only(20_000, 20_000)).unwrap_err(),
            Rejection::TooManyPixels {
                width: 20_000,
                height: 20_000
            }
        );
        assert_eq!(
            icon(&fixtures::bmp()).unwrap_err(),
            Rejection::Unsupported("BMP")
        );
        assert_eq!(
            icon(&fixtures::tiff()).unwrap_err(),
            Rejection::Unsupported("TIFF")
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            Rejection::TooLarge { limit: LIMIT }.to_string(),
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
        assert!(
            Rejection::Unsupported("BMP")
                .to_string()
                .contains("BMP images are not supported")
        );
    }

    #[test]
    fn names_are_the_hash_of_the_bytes() {
        let a = icon(&fixtures::png(10, 10, true)).unwrap();
        let b = icon(&fixtures::png(10, 10, true)).unwrap();
        assert_eq!(a.file_name(), b.file_name());
        assert_eq!(a.file_name().len(), 64 + ".png".len());
        let c = icon(&fixtures::png(11, 10, true)).unwrap();
        assert_ne!(a.file_name(), c.file_name());
    }
}
