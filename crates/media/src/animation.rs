//! Animated GIFs: every frame decoded onto the screen, fitted, and written into the new GIF
//! at once, so that only one frame is held at a time whatever the number of frames.

use crate::plan::{Plan, decoding};
use crate::{Processed, Rejection};
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::{AnimationDecoder, DynamicImage, Frame, ImageDecoder};
use std::io::Cursor;

/// NeuQuant's fastest setting: an animation's frames are re-quantised one by one.
const GIF_SPEED: i32 = 10;

/// What decoding and re-encoding an animation holds at its peak: the gif crate's buffer of
/// colour indices, the decoder's canvas, the frame it draws and the full-screen frame it
/// hands over (13 bytes per screen pixel); fitting that frame; the fitted frame's copies in
/// the encoder; and the output, at most 2 bytes per fitted pixel of every frame.
pub(crate) fn peak_bytes(plan: &Plan) -> u64 {
    let screen = u64::from(plan.width) * u64::from(plan.height);
    let (width, height) = plan.fit.target;
    let fitted = u64::from(width) * u64::from(height);
    screen * 13 + plan.fit.peak_bytes(4) + fitted * 4 * 3 + plan.frames * fitted * 2
}

/// Every frame fitted and re-encoded into a new GIF. Only called once the plan has bounded
/// what decoding the frames costs; the decoder is held to that bound.
pub(crate) fn encode(bytes: &[u8], plan: &Plan) -> Result<Processed, Rejection> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(decoding)?;
    decoder.set_limits(plan.limits()).map_err(decoding)?;
    let (width, height) = plan.fit.target;
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, GIF_SPEED);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| Rejection::Unprocessable)?;
        for frame in decoder.into_frames() {
            let frame = frame.map_err(decoding)?;
            let delay = frame.delay();
            let fitted = plan
                .fit
                .apply(DynamicImage::ImageRgba8(frame.into_buffer()));
            encoder
                .encode_frame(Frame::from_parts(fitted.into_rgba8(), 0, 0, delay))
                .map_err(|_| Rejection::Unprocessable)?;
        }
    }
    Ok(Processed {
        bytes: out,
        extension: "gif",
        width,
        height,
    })
}
