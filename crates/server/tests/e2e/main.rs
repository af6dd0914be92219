//! End-to-end tests: each starts a real pingme server on a random port, with its own data
//! directory and database, and speaks HTTP to it.

mod abuse;
mod abuse_images;
mod account;
mod account_names;
mod admin;
mod auth;
mod bench;
mod browser;
mod categories;
mod channels;
mod chat;
mod cli;
mod cluster;
mod crash;
mod directory;
mod docs;
mod email;
mod faults;
mod fuzz;
mod gateway;
mod gateway_matrix;
mod gateway_nodes;
mod http;
mod invites;
mod matrix;
mod media;
mod nodes;
mod pages;
mod presence;
mod read_states;
mod search;
mod sending;
mod servers;
mod support;
mod web_client;
