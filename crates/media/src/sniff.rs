//! What an upload is, from its first bytes — never from its name or declared type.

use image::ImageFormat;

#[derive(Debug, PartialEq, Eq)]
pub enum Sniffed {
    Supported(ImageFormat),
    /// A recognisable image format that pingme does not take.
    Unsupported(&'static str),
    Unknown,
}

pub fn sniff(bytes: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Supported(ImageFormat::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Supported(ImageFormat::Png)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Sniffed::Supported(ImageFormat::Gif)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Sniffed::Supported(ImageFormat::WebP)
    } else {
        unsupported(bytes).map_or(Sniffed::Unknown, Sniffed::Unsupported)
    }
}

/// Names other image formats, so the refusal can say what was sent.
fn unsupported(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let brand = bytes.get(4..12);
    Some(if starts(b"BM") {
        "BMP"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "TIFF"
    } else if starts(&[0, 0, 1, 0]) {
        "ICO"
    } else if brand
        .is_some_and(|b| b.starts_with(b"ftyp") && (&b[4..] == b"avif" || &b[4..] == b"avis"))
    {
        "AVIF"
    } else if brand
        .is_some_and(|b| b.starts_with(b"ftyp") && (&b[4..] == b"heic" || &b[4..] == b"mif1"))
    {
        "HEIC"
    } else if starts(b"8BPS") {
        "PSD"
    } else if looks_like_svg(bytes) {
        "SVG"
    } else {
        return None;
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest"),
            Sniffed::Supported(ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest"),
            Sniffed::Supported(ImageFormat::Png)
        );
        assert_eq!(sniff(b"GIF89a..."), Sniffed::Supported(ImageFormat::Gif));
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Sniffed::Supported(ImageFormat::WebP)
        );
        assert_eq!(sniff(b"BM\x36\0\0\0"), Sniffed::Unsupported("BMP"));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Sniffed::Unsupported("TIFF"));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), Sniffed::Unsupported("AVIF"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg>"),
            Sniffed::Unsupported("SVG")
        );
        assert_eq!(sniff(b"hello, this is text"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
    }
}
