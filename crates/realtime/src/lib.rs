//! Real-time delivery: the hub that holds this node's open sockets and hands each one the
//! frames of its channel, and the bus events travel on.
#![forbid(unsafe_code)]

mod frame;
mod gateway;
mod grant;
mod hub;
mod local_bus;
mod presence;
mod random;
mod redis_bus;
mod relay;

pub use frame::Frame;
pub use gateway::{
    Attached, GatewayHub, InvalidSession, Limits, Numbered, Seat, dispatch_frame,
    gateway_close_codes,
};
pub use grant::Grant;
pub use hub::{Close, CloseHandle, Connection, Hub, close_codes};
pub use local_bus::LocalBus;
pub use presence::{Conn as PresenceConn, Presence, Told as PresenceChange};
pub use redis_bus::{RedisBus, publish_once};
pub use relay::{Gateway, Relay, Unavailable};
