//! Integration tests: the built `okta` binary against the in-process devserver.

mod config;
mod conventions;
mod decode;
mod device;
mod discover;
mod docs;
mod generated;
mod harness;
mod login;
mod signed_in;
mod token;
mod verify;
