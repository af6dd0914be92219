//! The one path every uploaded image takes: size limit, type from the bytes, the checks and
//! the cost estimate of [`inspect`] made from the header before any pixel is decoded, decode
//! (held to that estimate), fit, orientation applied, and a fresh encode that carries no
//! metadata (EXIF, GPS, comments) from the upload.
//!
//! Pure CPU work: callers run it on the blocking pool.

use crate::plan::{Plan, decoding, inspect};
use crate::{Rejection, animation};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

const JPEG_QUALITY: u8 = 85;

/// What an image is for, which decides the box it is fitted into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Avatars and server or category icons: at most 512 × 512.
    Icon,
    /// Server banners: at most 1920 wide (and, for odd tall ones, 1920 high).
    Banner,
}

impl Purpose {
    pub(crate) fn bounds(self) -> (u32, u32) {
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

/// Checks, decodes, fits and re-encodes an uploaded image: [`inspect`], then
/// [`Plan::process`], for callers that need no memory budget between the two.
pub fn process(bytes: &[u8], purpose: Purpose, max_bytes: usize) -> Result<Processed, Rejection> {
    inspect(bytes, purpose, max_bytes)?.process(bytes)
}

impl Plan {
    /// Decodes, fits and re-encodes the image this plan was made from (the same `bytes`).
    pub fn process(&self, bytes: &[u8]) -> Result<Processed, Rejection> {
        if self.frames > 1 {
            return animation::encode(bytes, self);
        }
        let image = self.fit.apply(self.decode(bytes)?);
        encode_still(upright(image, self))
    }

    /// The pixels, with the decoder held to the plan's dimensions and memory: the output
    /// buffer is reserved from the estimate first, as `ImageReader::decode` does.
    fn decode(&self, bytes: &[u8]) -> Result<DynamicImage, Rejection> {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), self.format);
        reader.limits(self.limits());
        let mut decoder = reader.into_decoder().map_err(decoding)?;
        if decoder.dimensions() != (self.width, self.height) {
            return Err(Rejection::NotAnImage);
        }
        let mut limits = self.limits();
        limits
            .reserve(decoder.total_bytes())
            .map_err(|_| Rejection::OverLimit)?;
        decoder.set_limits(limits).map_err(decoding)?;
        DynamicImage::from_decoder(decoder).map_err(decoding)
    }
}

/// The fitted image in 8-bit RGBA, turned upright: small by now, so copies are cheap.
fn upright(image: DynamicImage, plan: &Plan) -> RgbaImage {
    let mut image = DynamicImage::ImageRgba8(image.into_rgba8());
    image.apply_orientation(plan.orientation);
    image.into_rgba8()
}

/// PNG when some pixel is see-through, JPEG otherwise.
fn encode_still(image: RgbaImage) -> Result<Processed, Rejection> {
    let (width, height) = image.dimensions();
    let translucent = image.pixels().any(|p| p.0[3] < 255);
    let mut bytes = Vec::new();
    let extension = if translucent {
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .map(|()| "png")
    } else {
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .encode_image(&DynamicImage::ImageRgba8(image).into_rgb8())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::inspect;
    use image::AnimationDecoder;
    use image::codecs::gif::GifDecoder;

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
    fn costly_headers_are_refused_with_what_exceeds_the_limits() {
        assert_eq!(
            icon(&fixtures::png_header_only(40_000, 1)).unwrap_err(),
            Rejection::TooLong {
                width: 40_000,
                height: 1
            }
        );
        assert_eq!(
            icon(&fixtures::png_header_only(1, 40_000_000)).unwrap_err(),
            Rejection::TooLong {
                width: 1,
                height: 40_000_000
            }
        );
        assert_eq!(
            icon(&fixtures::costly::jpeg(65_535, 610, true)).unwrap_err(),
            Rejection::TooLong {
                width: 65_535,
                height: 610
            }
        );
        assert_eq!(
            icon(&fixtures::png_header(6400, 6250, 16, 6)).unwrap_err(),
            Rejection::TooDeep {
                width: 6400,
                height: 6250,
                bits: 16,
                bytes: 6400 * 6250 * 8
            }
        );
        // 16-bit grey and alpha takes 4 bytes a pixel: within the decoded budget.
        let plan = inspect(
            &fixtures::png_header(6400, 6250, 16, 4),
            Purpose::Icon,
            LIMIT,
        );
        assert!(plan.is_ok());
    }

    #[test]
    fn deep_and_extreme_images_within_the_limits_are_fitted() {
        // Its flat colour is translucent (every byte is 0x5A).
        let out = icon(&fixtures::costly::png_rgba16(1200, 900)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("png", 512, 384));
        let out = icon(&fixtures::costly::png_rgba8(16_384, 1)).unwrap();
        assert_eq!((out.width, out.height), (512, 1));
        let out = process(
            &fixtures::costly::png_rgba8(1, 16_384),
            Purpose::Banner,
            LIMIT,
        )
        .unwrap();
        assert_eq!((out.width, out.height), (1, 1920));
        let out = icon(&fixtures::costly::jpeg(4000, 200, true)).unwrap();
        assert_eq!((out.extension, out.width, out.height), ("jpg", 512, 26));
    }

    #[test]
    fn turned_photos_are_fitted_before_they_are_turned() {
        let out = icon(&fixtures::jpeg_with_exif(1500, 1000, 6)).unwrap();
        assert_eq!((out.width, out.height), (341, 512));
        let out = icon(&fixtures::jpeg_with_exif(3000, 1000, 8)).unwrap();
        assert_eq!((out.width, out.height), (171, 512));
    }

    #[test]
    fn the_plan_bounds_memory_from_the_header() {
        let plan = inspect(&fixtures::jpeg(4000, 3000), Purpose::Icon, LIMIT).unwrap();
        let decoded = 4000 * 3000 * 3;
        assert!(plan.peak_bytes() > decoded && plan.peak_bytes() < 2 * decoded);
        let progressive = fixtures::costly::jpeg(4000, 3000, true);
        let plan = inspect(&progressive, Purpose::Icon, LIMIT).unwrap();
        assert!(plan.peak_bytes() > 3 * decoded, "every coefficient is kept");
        let limits = plan.limits();
        assert_eq!(limits.max_alloc, Some(plan.peak_bytes()));
        assert_eq!(limits.max_image_width, Some(crate::MAX_SIDE));
    }

    #[test]
    fn the_decoder_is_held_to_the_memory_its_plan_announced() {
        // A plan made for 8-bit pixels cannot decode 16-bit ones of the same size: the
        // decoded buffer alone is over the estimate.
        let plan = inspect(
            &fixtures::costly::png_rgba8(3000, 3000),
            Purpose::Icon,
            LIMIT,
        )
        .unwrap();
        let deeper = fixtures::costly::png_rgba16(3000, 3000);
        assert!(plan.peak_bytes() < 3000 * 3000 * 8);
        assert_eq!(plan.process(&deeper).unwrap_err(), Rejection::OverLimit);
        assert_eq!(
            plan.process(&fixtures::png(10, 10, true)).unwrap_err(),
            Rejection::NotAnImage,
            "nor an image of another size"
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
