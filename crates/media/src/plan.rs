//! What an upload will cost, read from its header alone before any pixel is decoded: the
//! checks that refuse what would cost too much, and an upper bound of the memory the job
//! will hold at its peak. Callers reserve that bound from a budget shared by all jobs, and
//! the decoder is held to it (`image::Limits`), so a header cannot promise less than the
//! decoder then takes where the decoder counts its allocations.
//!
//! The bound is the largest of the pipeline's phases (decoding, fitting, encoding), each
//! counted from the sizes the header gives; `tests/costs.rs` checks it against the bytes
//! really allocated for the worst images accepted.

use crate::fit::Fit;
use crate::sniff::{Sniffed, sniff};
use crate::{Purpose, Rejection};
use image::metadata::Orientation;
use image::{ColorType, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Images with more pixels than this are refused from their header (decompression bombs).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side accepted: longer strips cost more to fit than their pixel count says,
/// and every ordinary camera or screen image is within it.
pub const MAX_SIDE: u32 = 16_384;
/// The most bytes decoded pixels may take: 40 megapixels at 8-bit RGBA. Only images of
/// 16 bits per channel can exceed it while within [`MAX_PIXELS`].
pub const MAX_DECODED_BYTES: u64 = MAX_PIXELS * 4;
/// An animation's frames together may hold at most this many pixels.
pub const MAX_ANIMATION_PIXELS: u64 = 20_000_000;
/// What a job holds whatever its size: decoder tables and row buffers, encoder state, the
/// encoded output of a fitted image, hashing.
const BASE_BYTES: u64 = 8 * 1024 * 1024;

/// An upload that passed every check of its header, and what processing it will cost.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) format: ImageFormat,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Frames of an animated GIF; 1 for a still image.
    pub(crate) frames: u64,
    pub(crate) orientation: Orientation,
    /// The box, turned as the orientation turns the picture: the decoded pixels are fitted
    /// before they are turned, while the fitted image is small.
    pub(crate) fit: Fit,
    peak: u64,
}

impl Plan {
    /// An upper bound of the memory the job holds at its peak, in bytes.
    pub fn peak_bytes(&self) -> u64 {
        self.peak
    }

    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// What the decoder may take: the image's size, and the job's whole estimate.
    pub(crate) fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(self.peak);
        limits
    }
}

/// Checks an upload from its size, its first bytes and its header, and plans its processing.
pub fn inspect(bytes: &[u8], purpose: Purpose, max_bytes: usize) -> Result<Plan, Rejection> {
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
    if let Some((width, height)) = png_size(bytes) {
        // The png crate reserves a row as it reads the header: a 40-megapixel row would
        // trip the header's small allocation limit before its size could be named.
        check_dimensions(width, height)?;
    }
    let mut decoder = header(bytes, format)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    check_depth(width, height, decoder.color_type())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let frames = match format {
        ImageFormat::Gif => gif_frames(bytes, width, height)?,
        _ => 1,
    };
    let (max_width, max_height) = purpose.bounds();
    let bounds = if turns(orientation) {
        (max_height, max_width)
    } else {
        (max_width, max_height)
    };
    let fit = Fit::new((width, height), bounds);
    let mut plan = Plan {
        format,
        width,
        height,
        frames,
        orientation,
        fit,
        peak: 0,
    };
    plan.peak = BASE_BYTES + peak(&plan, bytes, decoder.color_type());
    Ok(plan)
}

/// A decoder that has read the header only. Its allocations (metadata such as ICC profiles
/// or compressed text) are held to [`BASE_BYTES`]; sides are checked afterwards, so that the
/// refusal can name them.
fn header(bytes: &[u8], format: ImageFormat) -> Result<impl ImageDecoder + '_, Rejection> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(BASE_BYTES);
    reader.limits(limits);
    reader.into_decoder().map_err(decoding)
}

/// The refusal for a decoder's error.
pub(crate) fn decoding(error: ImageError) -> Rejection {
    match error {
        ImageError::Limits(_) => Rejection::OverLimit,
        _ => Rejection::NotAnImage,
    }
}

/// The size an (already sniffed) PNG declares in its first chunk, which must be IHDR.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let field = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    (bytes.starts_with(b"\x89PNG") && bytes.get(12..16) == Some(&b"IHDR"[..]))
        .then(|| Some((field(16)?, field(20)?)))
        .flatten()
}

fn check_dimensions(width: u32, height: u32) -> Result<(), Rejection> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooManyPixels { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Rejection::TooLong { width, height });
    }
    Ok(())
}

fn check_depth(width: u32, height: u32, color: ColorType) -> Result<(), Rejection> {
    let bytes = u64::from(width) * u64::from(height) * u64::from(color.bytes_per_pixel());
    if bytes > MAX_DECODED_BYTES {
        return Err(Rejection::TooDeep {
            width,
            height,
            bits: color.bits_per_pixel() / u16::from(color.channel_count()),
            bytes,
        });
    }
    Ok(())
}

/// Whether the orientation swaps width and height.
pub(crate) fn turns(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The most the job holds at once, apart from [`BASE_BYTES`].
fn peak(plan: &Plan, bytes: &[u8], color: ColorType) -> u64 {
    if plan.frames > 1 {
        return crate::animation::peak_bytes(plan);
    }
    let pixel = u64::from(color.bytes_per_pixel());
    let decoded = u64::from(plan.width) * u64::from(plan.height) * pixel;
    let decoding = decoded + decoder_scratch(plan, bytes);
    let fitting = plan.fit.peak_bytes(pixel);
    // The fitted image, its 8-bit RGBA copy, that copy turned upright, and the encoder's
    // input and output, each at most 4 bytes per pixel of the target.
    let (width, height) = plan.fit.target;
    let encoding = u64::from(width) * u64::from(height) * (pixel + 4 * 4);
    decoding.max(fitting).max(encoding)
}

/// What a decoder holds besides the pixels it hands over, from what each one allocates.
fn decoder_scratch(plan: &Plan, bytes: &[u8]) -> u64 {
    let (width, height) = (u64::from(plan.width), u64::from(plan.height));
    let padded = |block: u64| width.next_multiple_of(block) * height.next_multiple_of(block);
    match plan.format {
        // Rows only, within BASE_BYTES: a side is at most 16384 pixels of 8 bytes.
        ImageFormat::Png => 0,
        // Progressive JPEGs keep every coefficient: 2 bytes for each of up to 4 components,
        // over the image padded to whole blocks (up to 32 × 32 with 4 × 4 subsampling).
        // Baseline ones are decoded a row of blocks at a time.
        ImageFormat::Jpeg if jpeg_is_baseline(bytes) => width.next_multiple_of(32) * 32 * 16,
        ImageFormat::Jpeg => padded(32) * 8,
        // The frame's colour indices, and a second RGBA buffer when the frame does not
        // cover the screen.
        ImageFormat::Gif => width * height * 5,
        // Over the image padded to 16 × 16 macroblocks.
        _ => padded(16) * webp_scratch_per_pixel(bytes),
    }
}

/// Whether the first frame header of a JPEG is a baseline or extended sequential one (SOF0,
/// SOF1); anything else, or a header not found, counts as progressive, the costly kind.
fn jpeg_is_baseline(bytes: &[u8]) -> bool {
    let mut at = 2;
    while let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) {
        match marker {
            0xC0 | 0xC1 => return true,
            0xC2..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => return false,
            // Fill bytes before a marker.
            0xFF => at += 1,
            _ => {
                let Some(length) = bytes.get(at + 2..at + 4) else {
                    return false;
                };
                at += 2 + usize::from(u16::from_be_bytes([length[0], length[1]]));
            }
        }
    }
    false
}

/// Lossy: YUV planes (1.5 bytes a pixel); lossless: an ARGB buffer (4); extended: lossy
/// planes and a lossless-coded alpha plane with its ARGB buffer (6.5); an animation's first
/// frame is drawn on a canvas besides (8 measured, 10 counted).
fn webp_scratch_per_pixel(bytes: &[u8]) -> u64 {
    const ANIMATED: u8 = 0x02;
    match bytes.get(12..16) {
        Some(b"VP8 ") => 2,
        Some(b"VP8L") => 4,
        Some(b"VP8X") if bytes.get(20).is_some_and(|flags| flags & ANIMATED == 0) => 7,
        _ => 10,
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
