//! Fitting a decoded image into its box at a bounded cost. `DynamicImage::resize` runs
//! Lanczos3 over the whole image with a kernel as wide as the scale (a 16384-pixel row shrunk
//! to 512 reads about 100 source pixels per output pixel) and keeps an intermediate of
//! 16 bytes per pixel, `source width × target height`. A large downscale is therefore done
//! in two steps: an area-averaging reduction (`thumbnail`, one pass, no intermediate) to
//! twice the target, then Lanczos3 for the last factor of two, which keeps photos sharp.

use image::DynamicImage;
use image::imageops::FilterType;

/// From this scale factor on, an axis is first reduced by area averaging.
const REDUCE_FROM: u64 = 3;
/// Lanczos3's intermediate image: four `f32` channels per pixel.
const RESAMPLE_BYTES_PER_PIXEL: u64 = 16;

/// How an image of a given size reaches its box: the sizes it passes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fit {
    pub source: (u32, u32),
    /// The area-averaged step, when the scale is large.
    pub reduced: Option<(u32, u32)>,
    pub target: (u32, u32),
}

impl Fit {
    /// The steps that fit `source` into `bounds`, keeping its aspect (as `resize` does).
    pub fn new(source: (u32, u32), bounds: (u32, u32)) -> Self {
        let (width, height) = source;
        if width <= bounds.0 && height <= bounds.1 {
            return Self {
                source,
                reduced: None,
                target: source,
            };
        }
        let ratio = f64::min(
            f64::from(bounds.0) / f64::from(width),
            f64::from(bounds.1) / f64::from(height),
        );
        // Within bounds, and at least one pixel: the cast cannot overflow.
        let side = |n: u32| ((f64::from(n) * ratio).round() as u32).max(1);
        let target = (side(width), side(height));
        let reduce = |n: u32, t: u32| {
            if u64::from(n) >= REDUCE_FROM * u64::from(t) {
                2 * t
            } else {
                n
            }
        };
        let reduced = (reduce(width, target.0), reduce(height, target.1));
        Self {
            source,
            reduced: (reduced != source).then_some(reduced),
            target,
        }
    }

    /// Whether the image is already within its box.
    pub fn is_identity(&self) -> bool {
        self.source == self.target
    }

    /// The most memory fitting holds at once, for pixels of `bytes_per_pixel`, the source
    /// included: while reducing, source and reduced image; while resampling, its input, the
    /// intermediate and the output.
    pub fn peak_bytes(&self, bytes_per_pixel: u64) -> u64 {
        let size = |(w, h): (u32, u32)| u64::from(w) * u64::from(h) * bytes_per_pixel;
        if self.is_identity() {
            return size(self.source);
        }
        let input = self.reduced.unwrap_or(self.source);
        let reducing = self.reduced.map_or(0, |r| size(self.source) + size(r));
        let intermediate = u64::from(input.0) * u64::from(self.target.1) * RESAMPLE_BYTES_PER_PIXEL;
        let resampling = size(input) + intermediate + size(self.target);
        reducing.max(resampling)
    }

    /// Applies the steps; the source is dropped as soon as the reduced image exists.
    pub fn apply(&self, image: DynamicImage) -> DynamicImage {
        if self.is_identity() {
            return image;
        }
        let image = match self.reduced {
            Some((width, height)) => reduce(image, width, height),
            None => image,
        };
        let (width, height) = self.target;
        image.resize_exact(width, height, FilterType::Lanczos3)
    }
}

/// Takes the image by value so that it is freed on return, before resampling starts.
fn reduce(image: DynamicImage, width: u32, height: u32) -> DynamicImage {
    image.thumbnail_exact(width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_images_are_left_alone() {
        let fit = Fit::new((300, 200), (512, 512));
        assert!(fit.is_identity());
        assert_eq!(fit.peak_bytes(4), 300 * 200 * 4);
    }

    #[test]
    fn fitting_keeps_the_aspect_as_resize_does() {
        let fit = Fit::new((1500, 1000), (512, 512));
        assert_eq!((fit.target, fit.reduced), ((512, 341), None));
        let fit = Fit::new((700, 2100), (1920, 1920));
        assert_eq!(fit.target, (640, 1920));
        let fit = Fit::new((16_384, 1), (512, 512));
        assert_eq!((fit.target, fit.reduced), ((512, 1), Some((1024, 1))));
    }

    #[test]
    fn large_downscales_are_reduced_to_twice_the_target_first() {
        let fit = Fit::new((6400, 6250), (512, 512));
        assert_eq!(fit.target, (512, 500));
        assert_eq!(fit.reduced, Some((1024, 1000)));
        // Source and reduced image together are the most it holds.
        assert_eq!(fit.peak_bytes(8), 6400 * 6250 * 8 + 1024 * 1000 * 8);
        let image = DynamicImage::new_rgba8(6400, 6250);
        let out = fit.apply(image);
        assert_eq!((out.width(), out.height()), (512, 500));
    }

    #[test]
    fn photos_look_as_a_single_lanczos3_pass_makes_them() {
        // Smooth shapes at several scales, as photos have.
        let photo = image::RgbImage::from_fn(4000, 3000, |x, y| {
            let (x, y) = (x as f32, y as f32);
            let wave = |period: f32, at: f32| ((at / period).sin() * 0.5 + 0.5) * 255.0;
            image::Rgb([
                wave(300.0, x) as u8,
                wave(170.0, y) as u8,
                wave(90.0, x + y) as u8,
            ])
        });
        let photo = DynamicImage::ImageRgb8(photo);
        let direct = photo.resize(512, 512, FilterType::Lanczos3).into_rgb8();
        let fit = Fit::new((4000, 3000), (512, 512));
        assert!(fit.reduced.is_some());
        let fitted = fit.apply(photo).into_rgb8();
        assert_eq!(fitted.dimensions(), direct.dimensions());
        let differences: Vec<i32> = fitted
            .as_raw()
            .iter()
            .zip(direct.as_raw())
            .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
            .collect();
        let mean = differences.iter().sum::<i32>() as f64 / differences.len() as f64;
        assert!(mean < 1.0, "mean difference {mean}");
        assert!(differences.iter().all(|&d| d <= 8), "no pixel far off");
    }
}
