//! Random identifiers: a node's on the bus, a gateway session's.

/// `N` random bytes in hex. Without randomness from the system, the clock and the process
/// still make it unique on this machine (a session is only resumed with a token of its own
/// account as well, so its id is no secret that matters on its own).
pub(crate) fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let seed = (nanos ^ u128::from(std::process::id())).to_le_bytes();
        for (byte, from) in bytes.iter_mut().zip(seed.iter().cycle()) {
            *byte = *from;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
