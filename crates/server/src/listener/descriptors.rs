//! File descriptors: the soft limit raised to the hard one at start (distributions default
//! the soft limit to 1,024, far below what a chat server's idle sockets need), and the share
//! of them client connections may take, keeping the rest in reserve for what must keep
//! working when clients take all they can: the database, Redis, media files, the log, and
//! health checks.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors never given to client connections (besides the database pool's).
pub const RESERVE: u64 = 256;

/// Raises the soft limit on open files to the hard limit; the limit now in force (`None`
/// when unlimited).
pub fn raise_limit() -> Option<u64> {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    if current != maximum {
        let raised = Rlimit {
            current: maximum,
            maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => return maximum,
            Err(error) => {
                tracing::warn!(%error, ?current, ?maximum, "cannot raise the open-files limit")
            }
        }
    }
    current
}

/// How many client connections may be open at once: the configured number, but never more
/// than the descriptors left once `reserve` is set aside.
pub fn connection_cap(configured: Option<usize>, limit: Option<u64>, reserve: u64) -> usize {
    let available = limit.map_or(usize::MAX, |limit| {
        usize::try_from(limit.saturating_sub(reserve).max(16)).unwrap_or(usize::MAX)
    });
    match configured {
        Some(wanted) if wanted > available => {
            tracing::warn!(
                wanted,
                available,
                "PINGME_MAX_CONNECTIONS is above what the open-files limit allows: using {available}"
            );
            available
        }
        Some(wanted) => wanted,
        None => available,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_kept_whatever_is_configured() {
        assert_eq!(connection_cap(None, Some(1024), RESERVE), 768);
        assert_eq!(connection_cap(None, Some(1024), RESERVE + 10), 758);
        assert_eq!(connection_cap(Some(100), Some(1024), RESERVE), 100);
        assert_eq!(connection_cap(Some(5000), Some(1024), RESERVE), 768);
        assert_eq!(
            connection_cap(None, Some(100), RESERVE),
            16,
            "never none at all"
        );
        assert_eq!(connection_cap(Some(7), None, RESERVE), 7);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let limit = raise_limit();
        let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
        assert_eq!(current, maximum);
        assert_eq!(limit, current);
    }
}
