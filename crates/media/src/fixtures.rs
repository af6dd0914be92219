//! Image files for tests, made on the fly: good ones of every accepted format, and every
//! kind of bad one the pipeline must refuse. Compiled for tests only (feature `fixtures`).

pub mod costly;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::{Delay, Frame, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use std::io::Cursor;

/// A gradient, so resizing and encoding have something to work on.
fn opaque(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    })
}

pub fn png(width: u32, height: u32, translucent: bool) -> Vec<u8> {
    let alpha = if translucent { 128 } else { 255 };
    let image = RgbaImage::from_fn(width, height, |x, y| {
        Rgba([(x % 256) as u8, (y % 256) as u8, 64, alpha])
    });
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encode PNG");
    bytes
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&opaque(width, height))
        .expect("encode JPEG");
    bytes
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    opaque(width, height)
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::WebP)
        .expect("encode WebP");
    bytes
}

pub fn gif_animation(width: u32, height: u32, frames: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite).expect("repeat");
        let frames = (0..frames).map(|n| {
            let image = RgbaImage::from_fn(width, height, |x, _| {
                Rgba([(x * 7 + n * 40) as u8, 0, 0, 255])
            });
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1))
        });
        encoder.encode_frames(frames).expect("encode GIF");
    }
    bytes
}

/// A GIF written by hand: a `screen`, and frames of the given sizes that each hold one pixel
/// of data — what a decompression bomb looks like from the outside.
pub fn gif_raw(screen: (u16, u16), frames: &[(u16, u16)]) -> Vec<u8> {
    let mut bytes = b"GIF89a".to_vec();
    bytes.extend_from_slice(&screen.0.to_le_bytes());
    bytes.extend_from_slice(&screen.1.to_le_bytes());
    // A global colour table of two colours.
    bytes.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    for (width, height) in frames {
        bytes.extend_from_slice(&[0x2C, 0, 0, 0, 0]);
        bytes.extend_from_slice(&width.to_le_bytes());
        bytes.extend_from_slice(&height.to_le_bytes());
        // No local table; LZW code size 2; one block: clear, index 0, end.
        bytes.extend_from_slice(&[0, 2, 2, 0x44, 0x01, 0]);
    }
    bytes.push(0x3B);
    bytes
}

/// The latitude written into [`jpeg_with_exif`]'s GPS block (48° 51′ 29.50″ N), as stored.
pub const GPS_LATITUDE: [u8; 24] = [
    0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0x0b, 0x86, 0, 0, 0, 100,
];

/// A JPEG carrying an EXIF block with an orientation tag and a GPS position, as phones write.
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    // IFD0: Orientation, and the offset of the GPS IFD.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    // GPS IFD at 38: latitude reference and latitude (three rationals at 68).
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&GPS_LATITUDE);
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let length = u16::try_from(segment.len() + 2).expect("small segment");
    let mut bytes = plain[..2].to_vec();
    bytes.extend_from_slice(&[0xFF, 0xE1]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&segment);
    bytes.extend_from_slice(&plain[2..]);
    bytes
}

/// A PNG whose header claims `width` × `height` of 8-bit RGBA, with hardly any pixel data
/// behind it.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    png_header(width, height, 8, 6)
}

/// A PNG whose header claims `width` × `height` at `depth` bits of PNG colour type `color`
/// (6: RGBA, 4: grey and alpha, 2: RGB), with hardly any pixel data behind it.
pub fn png_header(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(&ihdr);
    bytes.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // The start of a compressed stream, as a bomb would have; nobody should inflate it.
    for chunk in [&b"IDAT\x78\x9c\x01\x00\x00"[..], b"IEND"] {
        bytes.extend_from_slice(&u32::try_from(chunk.len() - 4).expect("small").to_be_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    bytes
}

/// A valid PNG cut in the middle.
pub fn truncated_png() -> Vec<u8> {
    let whole = png(64, 64, false);
    whole[..whole.len() / 2].to_vec()
}

/// The first bytes of a BMP file.
pub fn bmp() -> Vec<u8> {
    let mut bytes = b"BM".to_vec();
    bytes.extend_from_slice(&[
        0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24,
        0,
    ]);
    bytes.resize(0x46, 0);
    bytes
}

/// The first bytes of a TIFF file.
pub fn tiff() -> Vec<u8> {
    let mut bytes = b"II*\0\x08\0\0\0".to_vec();
    bytes.resize(64, 0);
    bytes
}

/// `len` bytes that start like a JPEG and are nothing more.
pub fn jpeg_sized(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, 0x55);
    bytes
}

/// The CRC-32 of PNG chunks (over the chunk type and data).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A real S3-compatible server for tests: moto's server mode (`pip install 'moto[server]'`),
/// started on a free local port and stopped when dropped.
pub mod moto {
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// Names the `moto_server` executable; `.ci/run` installs moto and sets it.
    pub const ENV: &str = "PINGME_TEST_MOTO_SERVER";

    pub struct Moto {
        pub endpoint: String,
        address: String,
        child: Child,
    }

    impl Moto {
        /// Starts moto; a test that calls it is `#[ignore]`d (a plain `cargo test` lists it as
        /// ignored) and fails, never skips, when run without [`ENV`].
        pub async fn start() -> Self {
            let executable = std::env::var(ENV)
                .unwrap_or_else(|_| panic!("S3 media tests need {ENV} (the path of moto_server)"));
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let child = Command::new(&executable)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {executable}: {e}"));
            let address = format!("127.0.0.1:{port}");
            let moto = Self {
                endpoint: format!("http://{address}"),
                address,
                child,
            };
            moto.wait_until_ready().await;
            moto
        }

        async fn wait_until_ready(&self) {
            let started = Instant::now();
            while self.request("GET / HTTP/1.1", "").await.is_none() {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "moto did not start in time"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        /// Creates a bucket whose objects anyone may read, as a deployment serving media
        /// straight from the bucket sets it up (moto does not check request signatures).
        pub async fn create_public_bucket(&self, name: &str) {
            let status = self
                .request(&format!("PUT /{name} HTTP/1.1"), "")
                .await
                .expect("moto answers");
            assert!(status.contains(" 200 "), "creating bucket {name}: {status}");
            let policy = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}}]}}"#
            );
            let status = self
                .request(&format!("PUT /{name}?policy HTTP/1.1"), &policy)
                .await
                .expect("moto answers");
            assert!(status.contains(" 20"), "bucket policy of {name}: {status}");
        }

        /// Sends a request with a JSON body and returns the status line.
        async fn request(&self, line: &str, body: &str) -> Option<String> {
            let mut stream = TcpStream::connect(&self.address).await.ok()?;
            let request = format!(
                "{line}\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.address,
                body.len()
            );
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.ok()?;
            let text = String::from_utf8_lossy(&response);
            text.lines()
                .next()
                .map(str::to_owned)
                .filter(|l| l.starts_with("HTTP/"))
        }
    }

    impl Drop for Moto {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
