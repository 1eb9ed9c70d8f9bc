//! Integration tests: the built `okta` binary against the in-process devserver.

mod config;
mod conventions;
mod decode;
mod discover;
mod docs;
mod generated;
mod harness;
mod login;
mod token;
mod verify;
