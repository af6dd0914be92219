//! Property-based fuzzing of what parses image uploads: valid images of every accepted
//! format with their header fields rewritten (PNG IHDR size and depth, GIF screen and frame
//! descriptors, JPEG SOF size, WebP VP8/VP8L/VP8X sizes), bits flipped, cut short or spliced
//! with random bytes, and random bytes behind each format's magic. The pipeline must never
//! panic, and must either refuse with a `Rejection` or answer an image within its limits.
//!
//! A fixed budget of cases runs in CI; for a longer run:
//! `PROPTEST_CASES=100000 cargo test --release -p pingme-media --test fuzz_headers`.

use pingme_media::fixtures::{self, costly};
use pingme_media::{MAX_SIDE, Purpose, inspect, process};
use proptest::prelude::*;

const LIMIT: usize = 4 * 1024 * 1024;
/// The most a job may be estimated to hold: the worst images accepted stay well below.
const MAX_ESTIMATE: u64 = 768 * 1024 * 1024;

/// Small valid images, one or more per format and kind of header.
fn bases() -> Vec<Vec<u8>> {
    vec![
        fixtures::png(24, 16, true),
        costly::png(20, 12, png::ColorType::Rgba, png::BitDepth::Sixteen),
        costly::png(20, 12, png::ColorType::Grayscale, png::BitDepth::Two),
        fixtures::jpeg(24, 16),
        costly::jpeg(40, 24, true),
        fixtures::jpeg_with_exif(16, 8, 6),
        fixtures::webp(24, 16),
        fixtures::gif_animation(12, 10, 2),
        fixtures::gif_raw((8, 8), &[(4, 4), (8, 8)]),
    ]
}

/// One change to an image's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    Truncate {
        at: usize,
    },
    Splice {
        at: usize,
        bytes: Vec<u8>,
    },
    /// Sets the `n`th size field of the header (in the format's own layout) to `value`.
    Field {
        n: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let value = prop_oneof![
        0u32..=4,
        (MAX_SIDE - 2)..=(MAX_SIDE + 2),
        Just(65_535),
        Just(40_000),
        any::<u32>(),
    ];
    // Header fields most often: they decide what decoding costs.
    prop_oneof![
        2 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Splice { at, bytes }),
        4 => (0usize..4, value).prop_map(|(n, value)| Mutation::Field { n, value }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::FlipBit { at, bit } => {
            let at = at % bytes.len();
            bytes[at] ^= 1 << bit;
        }
        Mutation::Truncate { at } => bytes.truncate(at % bytes.len()),
        Mutation::Splice { at, bytes: new } => {
            let at = at % bytes.len();
            let end = (at + new.len()).min(bytes.len());
            bytes.splice(at..end, new.iter().copied());
        }
        Mutation::Field { n, value } => set_field(bytes, *n, *value),
    }
}

/// Writes a header field: the size and depth fields each format keeps, found where the
/// format puts them.
fn set_field(bytes: &mut [u8], n: usize, value: u32) {
    if bytes.starts_with(b"\x89PNG") {
        png_field(bytes, n, value);
    } else if bytes.starts_with(b"GIF") {
        gif_field(bytes, n, value);
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_field(bytes, n, value);
    } else if bytes.starts_with(b"RIFF") {
        webp_field(bytes, n, value);
    }
}

fn put(bytes: &mut [u8], at: usize, field: &[u8]) {
    if let Some(slot) = bytes.get_mut(at..at + field.len()) {
        slot.copy_from_slice(field);
    }
}

/// IHDR width, height, bit depth, colour type; the chunk's CRC is made right again, so
/// that the decoder reads the new values rather than stopping at the checksum.
fn png_field(bytes: &mut [u8], n: usize, value: u32) {
    match n {
        0 => put(bytes, 16, &value.to_be_bytes()),
        1 => put(bytes, 20, &value.to_be_bytes()),
        2 => put(bytes, 24, &[value as u8]),
        _ => put(bytes, 25, &[value as u8]),
    }
    if bytes.len() >= 33 {
        let crc = fixtures::crc32(&bytes[12..29]);
        put(bytes, 29, &crc.to_be_bytes());
    }
}

/// Logical screen width and height, then the first frame descriptor's width and height.
fn gif_field(bytes: &mut [u8], n: usize, value: u32) {
    let field = (value as u16).to_le_bytes();
    match n {
        0 => put(bytes, 6, &field),
        1 => put(bytes, 8, &field),
        _ => {
            let Some(frame) = bytes.iter().skip(13).position(|&b| b == 0x2C) else {
                return;
            };
            put(bytes, 13 + frame + if n == 2 { 5 } else { 7 }, &field);
        }
    }
}

/// The frame header's height and width (SOF0 or SOF2), then its precision and components.
fn jpeg_field(bytes: &mut [u8], n: usize, value: u32) {
    let Some(sof) = bytes
        .windows(2)
        .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
    else {
        return;
    };
    match n {
        0 => put(bytes, sof + 5, &(value as u16).to_be_bytes()),
        1 => put(bytes, sof + 7, &(value as u16).to_be_bytes()),
        2 => put(bytes, sof + 4, &[value as u8]),
        _ => put(bytes, sof + 9, &[value as u8]),
    }
}

/// VP8L's 14-bit sizes, VP8X's 24-bit canvas, or VP8's 14-bit frame sizes.
fn webp_field(bytes: &mut [u8], n: usize, value: u32) {
    let chunk = bytes.get(12..16).map(<[u8]>::to_vec);
    match chunk.as_deref() {
        Some(b"VP8L") => {
            let Some(packed) = bytes.get(21..25) else {
                return;
            };
            let mut bits = u32::from_le_bytes([packed[0], packed[1], packed[2], packed[3]]);
            let shift = if n.is_multiple_of(2) { 0 } else { 14 };
            bits = (bits & !(0x3FFF << shift)) | ((value & 0x3FFF) << shift);
            put(bytes, 21, &bits.to_le_bytes());
        }
        Some(b"VP8X") => put(bytes, 24 + 3 * (n % 2), &value.to_le_bytes()[..3]),
        Some(b"VP8 ") => put(bytes, 26 + 2 * (n % 2), &(value as u16).to_le_bytes()),
        _ => {}
    }
}

/// The property: a refusal, or an image within the purpose's box and an estimate within
/// reason; never a panic.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    for purpose in [Purpose::Icon, Purpose::Banner] {
        if let Ok(plan) = inspect(bytes, purpose, LIMIT) {
            let (width, height) = plan.dimensions();
            prop_assert!(width <= MAX_SIDE && height <= MAX_SIDE);
            prop_assert!(plan.peak_bytes() <= MAX_ESTIMATE, "{}", plan.peak_bytes());
        }
        if let Ok(image) = process(bytes, purpose, LIMIT) {
            prop_assert!(!image.bytes.is_empty());
            prop_assert!(image.width >= 1 && image.width <= 1920);
            prop_assert!(image.height >= 1 && image.height <= 1920);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn mutated_headers_are_refused_or_processed_within_limits(
        base in 0usize..9,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut bytes = bases().swap_remove(base);
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        check(&bytes)?;
    }

    #[test]
    fn random_bytes_behind_a_magic_are_refused_or_processed(
        magic in prop::sample::select(vec![
            &b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"[..],
            &b"GIF89a"[..],
            &[0xFF, 0xD8, 0xFF][..],
            &b"RIFF\0\0\0\0WEBPVP8L"[..],
            &b"RIFF\0\0\0\0WEBPVP8X"[..],
        ]),
        tail in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&tail);
        check(&bytes)?;
    }
}
