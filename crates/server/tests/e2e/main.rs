//! End-to-end tests: each starts a real pingme server on a random port, with its own data
//! directory and database, and speaks HTTP to it.

mod abuse_images;
mod account;
mod auth;
mod bench;
mod browser;
mod categories;
mod channels;
mod chat;
mod cli;
mod cluster;
mod docs;
mod email;
mod faults;
mod http;
mod invites;
mod matrix;
mod media;
mod nodes;
mod servers;
mod support;
