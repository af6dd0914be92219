//! Reading e-mails the server sent: from the development outbox, and decoding their bodies.

use super::eventually;
use std::path::Path;
use std::time::Duration;

/// Waits for a `.eml` file addressed to `to` in the outbox and returns it decoded.
pub async fn wait_in_outbox(outbox: &Path, to: &str) -> String {
    let header = format!("To: {to}");
    eventually(Duration::from_secs(10), || async {
        let entries = std::fs::read_dir(outbox).ok()?;
        let mut mails: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let modified = entry.metadata().ok()?.modified().ok()?;
                let text = std::fs::read_to_string(entry.path()).ok()?;
                text.lines()
                    .any(|line| line.eq_ignore_ascii_case(&header))
                    .then(|| (modified, decode(&text)))
            })
            .collect();
        mails.sort_by_key(|(modified, _)| *modified);
        mails.pop().map(|(_, text)| text)
    })
    .await
}

/// Every mail in the outbox addressed to `to`, now, decoded.
pub fn all_in_outbox(outbox: &Path, to: &str) -> Vec<String> {
    let header = format!("To: {to}");
    let Ok(entries) = std::fs::read_dir(outbox) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|text| text.lines().any(|line| line.eq_ignore_ascii_case(&header)))
        .map(|text| decode(&text))
        .collect()
}

/// Undoes quoted-printable soft line breaks and escapes, so links can be found whatever
/// transfer encoding the mailer picked.
pub fn decode(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first link in `mail` whose URL contains `marker`.
pub fn link_in(mail: &str, marker: &str) -> String {
    mail.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|word| word.starts_with("http") && word.contains(marker))
        .unwrap_or_else(|| panic!("no link containing {marker} in:\n{mail}"))
        .replace("&amp;", "&")
}
