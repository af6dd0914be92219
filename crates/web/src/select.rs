// Which files of `web/` the browser loads: the page, the client's modules and styles, and the
// vendored libraries. Tests, scripts, type declarations and npm's files stay out. Shared by
// build.rs (`include!`), which embeds them, and by `WebClient::from_dir`, which reads them.

/// Top-level entries of `web/` that are served.
const SERVED: &[&str] = &["index.html", "app", "vendor", "static"];
/// Extensions of served files; anything else (`.d.mts`, `.json`, licences) stays out.
const EXTENSIONS: &[&str] = &["html", "js", "mjs", "css", "svg", "png", "ico", "webmanifest"];

/// Every served file under `root`, as (name relative to `root` with `/`, path), sorted.
fn served_files(root: &std::path::Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let mut files = Vec::new();
    for entry in SERVED {
        collect(root, &root.join(entry), &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect(
    root: &std::path::Path,
    path: &std::path::Path,
    files: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect(root, &entry?.path(), files)?;
        }
    } else if is_served(path) {
        let name = path.strip_prefix(root).unwrap_or(path);
        let name = name.to_string_lossy().replace('\\', "/");
        files.push((name, path.to_owned()));
    }
    Ok(())
}

fn is_served(path: &std::path::Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    !name.starts_with('.') && !name.ends_with(".d.mts") && EXTENSIONS.contains(&extension)
}
