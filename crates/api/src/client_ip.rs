//! The address a request comes from, for rate limits and logs. Behind a load balancer the
//! peer is the balancer: its `X-Forwarded-For` is believed only when it is one of the
//! configured trusted proxies, reading from the right past every trusted hop.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(Self(client_address(
            peer,
            forwarded,
            &state.config.trusted_proxies,
        )))
    }
}

fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Something other than an address (`ip:port`, garbage): what lies to its left
            // cannot be told apart from what the client wrote itself.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    const BALANCER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(
            client_address(CLIENT, ["1.2.3.4"].into_iter(), &[BALANCER]),
            CLIENT
        );
    }

    #[test]
    fn a_trusted_peer_names_the_client_as_the_last_untrusted_hop() {
        let forwarded = ["6.6.6.6, 203.0.113.7", "10.0.0.1"];
        assert_eq!(
            client_address(BALANCER, forwarded.into_iter(), &[BALANCER]),
            CLIENT
        );
        assert_eq!(
            client_address(BALANCER, std::iter::empty(), &[BALANCER]),
            BALANCER
        );
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_peer() {
        let forwarded = ["203.0.113.7, 198.51.100.2:4431"];
        assert_eq!(
            client_address(BALANCER, forwarded.into_iter(), &[BALANCER]),
            BALANCER
        );
    }
}
