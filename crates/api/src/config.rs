//! The settings the HTTP layer needs, built once by the binary and shared read-only.

use pingme_domain::duration::parse_seconds;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Base of links in e-mails, without a trailing `/` (`PINGME_PUBLIC_URL`).
    pub public_url: String,
    /// Where the web client lives (`CLIENT_ORIGIN`): the target of redirects and reset links.
    pub client_origin: String,
    /// Origins allowed by CORS, credentials included.
    pub cors_origins: Vec<String>,
    /// Accepted `Host` values (`ALLOWED_HOSTS`); empty accepts any.
    pub allowed_hosts: Vec<String>,
    pub max_body_bytes: usize,
    /// Largest file accepted in an upload (`PINGME_MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: usize,
    /// Memory, in bytes, that the images being processed may hold together
    /// (`PINGME_IMAGE_MEMORY`): each job reserves its estimated peak before it starts.
    pub image_memory: u64,
    /// How long an unused media object is kept before a sweep deletes it: longer than any
    /// request between storing an image and recording it takes.
    pub media_sweep_delay: Duration,
    /// How long an uploaded attachment waits to be used before a sweep deletes it.
    pub attachment_ttl: Duration,
    /// Bytes of channels' latest pages of history kept rendered, and as many of listings of
    /// servers (`PINGME_PAGE_CACHE`); zero keeps none.
    pub page_cache: usize,
    /// A request body must have arrived this long after its head; 408 otherwise.
    pub body_timeout: Duration,
    /// Memory request bodies may hold at once (`PINGME_BODY_MEMORY`); one client address
    /// gets a share of it.
    pub body_memory: usize,
    pub chat: ChatConfig,
    pub lifetimes: TokenLifetimes,
    /// `None` turns every rate limit off.
    pub rate_limits: Option<RateLimitConfig>,
    /// Peers whose `X-Forwarded-For` is believed (a load balancer in front).
    pub trusted_proxies: Vec<IpAddr>,
    /// pingme's web client, served at `/` and its pages; `None` (`PINGME_WEB=off`) leaves `/`
    /// to the short page naming the API, for operators who bring their own client.
    pub web: Option<Arc<pingme_web::WebClient>>,
}

/// Chat: messages and their sockets.
#[derive(Clone, Copy, Debug)]
pub struct ChatConfig {
    /// Longest message, in characters (`PINGME_MAX_MESSAGE_CHARS`).
    pub max_message_chars: usize,
    /// Frames a socket's outgoing queue holds before the socket is closed as too slow
    /// (`PINGME_WS_QUEUE`).
    pub socket_queue: usize,
    /// How often the server pings each socket.
    pub ping_interval: Duration,
    /// A socket that answered none of the server's pings this long is closed.
    pub idle_timeout: Duration,
    /// How long anything the server writes to a socket (frames, pings, pongs) may take to
    /// leave; a client that does not read for this long is closed as too slow (4008).
    pub send_timeout: Duration,
    /// How long a close frame may wait for a client that is behind on reading, and how long
    /// the server then waits for the client's close answer.
    pub close_grace: Duration,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            max_message_chars: 4000,
            socket_queue: 1024,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            send_timeout: Duration::from_secs(15),
            close_grace: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct TokenLifetimes {
    pub access: Duration,
    pub refresh: Duration,
    pub verify_email: Duration,
    pub password_reset: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access: Duration::from_secs(24 * 3600),
            refresh: Duration::from_secs(4 * 24 * 3600),
            verify_email: Duration::from_secs(3 * 24 * 3600),
            password_reset: Duration::from_secs(3600),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct RateLimitConfig {
    /// Login attempts per client address.
    pub login_per_ip: Rate,
    /// Failed logins per login name, whatever the address; past it, only addresses that
    /// have not failed for the name may try it.
    pub login_per_user: Rate,
    /// Registrations and other e-mail-sending requests per client address.
    pub mail_per_ip: Rate,
    /// Messages one account may send into one channel.
    pub messages: Rate,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        let rate = |count, seconds| Rate {
            count: NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN),
            per: Duration::from_secs(seconds),
        };
        Self {
            login_per_ip: rate(30, 60),
            login_per_user: rate(10, 60),
            mail_per_ip: rate(10, 3600),
            messages: rate(10, 10),
        }
    }
}

/// `count` events per `per`, written `count/duration` (`10/1m`, `100/1h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (count, per) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected COUNT/DURATION, like 10/1m"))?;
        let count = count
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: the count must be a positive integer"))?;
        let per = parse_seconds(per)?;
        Ok(Self { count, per })
    }
}

/// A size in bytes: a number, or a number with `KiB`, `MiB` or `GiB` (`K`, `M`, `G` alike).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text, "a size like 512MiB, 1GiB or a number of bytes")?;
    let unit_bytes: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(format!("`{text}`: unknown unit; use KiB, MiB or GiB")),
    };
    number
        .checked_mul(unit_bytes)
        .ok_or_else(|| format!("`{text}`: too large"))
}

/// The number a setting starts with, and the unit after it (`15m`: 15 and `m`).
fn number_and_unit<'a>(text: &'a str, expected: &str) -> Result<(u64, &'a str), String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = number
        .parse()
        .map_err(|_| format!("`{text}`: expected {expected}"))?;
    Ok((number, unit.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("12 TB").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn rates_read_count_over_duration() {
        let rate: Rate = "10/1m".parse().unwrap();
        assert_eq!((rate.count.get(), rate.per), (10, Duration::from_secs(60)));
        assert!("0/1m".parse::<Rate>().is_err());
        assert!("ten".parse::<Rate>().is_err());
    }
}
