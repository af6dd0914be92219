//! The memory estimate of `inspect` is an upper bound of what processing really allocates,
//! for the costliest images the pipeline accepts (and a few ordinary ones): a counting
//! global allocator records the peak of bytes held during each call. A resource bound,
//! not a timing: it does not depend on the machine's speed.
//!
//! Its own test binary, with one test, so that no other test allocates meanwhile.

// The one unsafe block of the project: a global allocator must implement an unsafe trait.
// It only forwards to the system allocator and counts.
#![deny(unsafe_op_in_unsafe_fn)]

use pingme_media::fixtures::{self, costly};
use pingme_media::{Purpose, inspect};
use png::{BitDepth, ColorType};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let held = HELD.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(held, Ordering::SeqCst);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract; the
// counters are atomics and never affect what is returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(pointer, layout) };
        HELD.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            // Counted as if old and new were both held for a moment: an upper bound.
            grew(new_size);
            HELD.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LIMIT: usize = 4 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

/// The costliest images of each kind that are still accepted, and some ordinary ones.
fn cases() -> Vec<(&'static str, Vec<u8>, Purpose)> {
    use Purpose::{Banner, Icon};
    vec![
        ("photo 4000x3000 JPEG", fixtures::jpeg(4000, 3000), Icon),
        ("photo as banner", fixtures::jpeg(4000, 3000), Banner),
        (
            "EXIF-turned photo",
            fixtures::jpeg_with_exif(3000, 2000, 6),
            Icon,
        ),
        (
            "progressive JPEG 16384x2441",
            costly::jpeg(16_384, 2441, true),
            Icon,
        ),
        (
            "progressive JPEG 6324x6324 banner",
            costly::jpeg(6324, 6324, true),
            Banner,
        ),
        (
            "baseline JPEG 16384x2441",
            costly::jpeg(16_384, 2441, false),
            Icon,
        ),
        ("JPEG 1x16384", costly::jpeg(1, 16_384, true), Icon),
        (
            "PNG RGBA8 16384x2441",
            costly::png_rgba8(16_384, 2441),
            Icon,
        ),
        (
            "PNG RGBA8 6324x6324 banner",
            costly::png_rgba8(6324, 6324),
            Banner,
        ),
        (
            "PNG RGBA16 4472x4472",
            costly::png(4472, 4472, ColorType::Rgba, BitDepth::Sixteen),
            Icon,
        ),
        (
            "PNG RGBA16 4472x4472 banner",
            costly::png(4472, 4472, ColorType::Rgba, BitDepth::Sixteen),
            Banner,
        ),
        (
            "PNG grey+alpha 16 6400x6250",
            costly::png(6400, 6250, ColorType::GrayscaleAlpha, BitDepth::Sixteen),
            Icon,
        ),
        (
            "PNG 1-bit grey 6400x6250",
            costly::png(6400, 6250, ColorType::Grayscale, BitDepth::One),
            Icon,
        ),
        ("PNG 16384x1", costly::png_rgba8(16_384, 1), Icon),
        ("PNG 1x16384", costly::png_rgba8(1, 16_384), Banner),
        ("WebP lossless 16383x2441", costly::webp(16_383, 2441), Icon),
        (
            "WebP lossy 16383x2441",
            include_bytes!("data/lossy-16383x2441.webp").to_vec(),
            Icon,
        ),
        (
            "WebP lossy+alpha 16383x2441",
            include_bytes!("data/lossy-alpha-16383x2441.webp").to_vec(),
            Icon,
        ),
        (
            "WebP animated 16383x2441",
            include_bytes!("data/animated-16383x2441.webp").to_vec(),
            Icon,
        ),
        ("GIF 6400x6250 one frame", costly::gif(6400, 6250), Icon),
        (
            "GIF 1600x1600, 5 frames",
            fixtures::gif_animation(1600, 1600, 5),
            Icon,
        ),
        (
            "GIF 10000x1000 screen, 1x1 frames",
            fixtures::gif_raw((10_000, 1000), &[(1, 1); 2]),
            Icon,
        ),
    ]
}

#[test]
fn processing_never_holds_more_than_its_estimate() {
    let mut failures = Vec::new();
    let started = std::time::Instant::now();
    for (name, bytes, purpose) in cases() {
        eprintln!("{:>5.1} s  built {name}", started.elapsed().as_secs_f64());
        let base = HELD.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        let plan = inspect(&bytes, purpose, LIMIT).unwrap_or_else(|r| panic!("{name}: {r}"));
        let outcome = plan.process(&bytes);
        let held = PEAK.load(Ordering::SeqCst) - base;
        let estimate = plan.peak_bytes();
        let outcome = outcome.map_or_else(
            |r| format!("refused: {r}"),
            |p| format!("{} {}x{}", p.extension, p.width, p.height),
        );
        println!(
            "{name:36} held {:>6.1} MiB, estimate {:>6.1} MiB  {outcome}",
            held as f64 / MIB,
            estimate as f64 / MIB
        );
        if held as u64 > estimate || outcome.starts_with("refused") {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "over the estimate or refused: {failures:?}"
    );
}
