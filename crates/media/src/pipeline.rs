//! The one path every uploaded image takes: size limit, type from the bytes, a pixel budget
//! checked from the headers before any pixel is decoded, decode, orientation applied, resize,
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
/// An animation's frames together may hold at most this many pixels.
const MAX_ANIMATION_PIXELS: u64 = 20_000_000;
const JPEG_QUALITY: u8 = 85;
/// NeuQuant's fastest setting: an animation's frames are re-quantised one by one.
const GIF_SPEED: i32 = 10;

/// What an image is for, which decides the box it is fitted into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Avatars and server or category icons: at most 512 × 512.
    Icon,
    /// Server banners: at most 1920 wide (and, for odd tall ones, 1920 high).
    Banner,
}

impl Purpose {
    fn bounds(self) -> (u32, u32) {
        match self {
            Self::Icon => (512, 512),
            Self::Banner => (1920, 1920),
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
    TooLarge {
        limit: usize,
    },
    NotAnImage,
    Unsupported(&'static str),
    TooManyPixels {
        width: u32,
        height: u32,
    },
    TooManyFrames {
        frames: u64,
        width: u32,
        height: u32,
    },
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
    check_pixels(width, height)?;
    if format == ImageFormat::Gif && gif_frames(bytes, width, height)? > 1 {
        return encode_animation(bytes, purpose);
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|_| Rejection::NotAnImage)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Rejection::NotAnImage)?;
    image.apply_orientation(orientation);
    encode_still(fit(image, purpose))
}

fn check_pixels(width: u32, height: u32) -> Result<(), Rejection> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        Err(Rejection::TooManyPixels { width, height })
    } else {
        Ok(())
    }
}

/// Counts a GIF's frames from their descriptors alone, without inflating any pixel data.
/// A GIF's screen size says little: each frame declares its own size, and one frame larger
/// than the screen, or thousands of frames, would otherwise decode to gigabytes.
fn gif_frames(bytes: &[u8], width: u32, height: u32) -> Result<u64, Rejection> {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    options.check_frame_consistency(true);
    let mut decoder = options
        .read_info(bytes)
        .map_err(|_| Rejection::NotAnImage)?;
    let screen = u64::from(width) * u64::from(height);
    let mut frames = 0u64;
    while decoder
        .read_next_frame()
        .map_err(|_| Rejection::NotAnImage)?
        .is_some()
    {
        frames += 1;
        // Every frame is rendered onto a full screen when the animation is decoded.
        if frames > 1 && frames * screen > MAX_ANIMATION_PIXELS {
            return Err(Rejection::TooManyFrames {
                frames,
                width,
                height,
            });
        }
    }
    if frames == 0 {
        return Err(Rejection::NotAnImage);
    }
    Ok(frames)
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
fn encode_still(image: DynamicImage) -> Result<Processed, Rejection> {
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
    let extension = extension.map_err(|_| Rejection::Unprocessable)?;
    Ok(Processed {
        bytes,
        extension,
        width,
        height,
    })
}

/// Every frame fitted and re-encoded into a new GIF. Only called once [`gif_frames`] has
/// bounded what decoding the frames costs.
fn encode_animation(bytes: &[u8], purpose: Purpose) -> Result<Processed, Rejection> {
    let decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|_| Rejection::NotAnImage)?;
    let mut fitted = Vec::new();
    for frame in decoder.into_frames() {
        let frame = frame.map_err(|_| Rejection::NotAnImage)?;
        let delay = frame.delay();
        let image = fit(DynamicImage::ImageRgba8(frame.into_buffer()), purpose);
        fitted.push(Frame::from_parts(image.to_rgba8(), 0, 0, delay));
    }
    let (width, height) = fitted.first().map_or((0, 0), |f| f.buffer().dimensions());
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, GIF_SPEED);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| Rejection::Unprocessable)?;
        encoder
            .encode_frames(fitted)
            .map_err(|_| Rejection::Unprocessable)?;
    }
    Ok(Processed {
        bytes: out,
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
        let out = icon(&fixtures::jpeg(1500, 1000)).unwrap();
        assert_eq!((out.width, out.height), (512, 341));
        assert_eq!(decoded(&out).width(), 512);
        let out = process(&fixtures::jpeg(2400, 800), Purpose::Banner, LIMIT).unwrap();
        assert_eq!((out.width, out.height), (1920, 640));
        let out = process(&fixtures::jpeg(700, 2100), Purpose::Banner, LIMIT).unwrap();
        assert_eq!((out.width, out.height), (640, 1920), "odd tall banners too");
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
    fn gif_bombs_are_refused_from_their_frame_descriptors() {
        // One frame far larger than a 1 × 1 screen.
        let giant_frame = fixtures::gif_raw((1, 1), &[(20_000, 20_000)]);
        assert_eq!(icon(&giant_frame).unwrap_err(), Rejection::NotAnImage);
        // Tiny frames, but each is rendered onto a 1000 × 1000 screen.
        let many = fixtures::gif_raw((1000, 1000), &[(1, 1); 21]);
        assert_eq!(
            icon(&many).unwrap_err(),
            Rejection::TooManyFrames {
                frames: 21,
                width: 1000,
                height: 1000
            }
        );
        let fine = fixtures::gif_raw((100, 100), &[(1, 1); 3]);
        assert_eq!(icon(&fine).unwrap().extension, "gif");
        assert_eq!(
            icon(&fixtures::gif_raw((4, 4), &[])).unwrap_err(),
            Rejection::NotAnImage
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
