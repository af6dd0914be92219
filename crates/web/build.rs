//! Includes the served files of `web/` (see src/select.rs) in the binary, as `FILES`.

use std::fmt::Write as _;
use std::path::PathBuf;

include!("src/select.rs");

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest
        .join("../../web")
        .canonicalize()
        .expect("the web/ directory of the repository");
    for entry in SERVED {
        println!("cargo:rerun-if-changed={}", root.join(entry).display());
    }
    let files = served_files(&root).expect("reading web/");
    let mut out = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", path.display()).expect("a string");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("files.rs");
    std::fs::write(dest, out).expect("writing files.rs");
}
