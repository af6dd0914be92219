//! The pingme server: configuration, wiring and the operator commands, as a library so the
//! end-to-end tests start exactly what the binary starts.
#![forbid(unsafe_code)]

pub mod admin;
pub mod app;
pub mod config;
pub mod listener;
mod secret;
pub mod settings;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use settings::{Environment, Settings};
