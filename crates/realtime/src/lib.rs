//! Real-time delivery: events published by handlers, on their way to open sockets.
#![forbid(unsafe_code)]

mod local_bus;

pub use local_bus::LocalBus;
