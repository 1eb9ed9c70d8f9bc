//! Integration tests: the built `okta` binary against the in-process devserver.

mod decode;
mod device;
mod discover;
mod docs;
mod harness;
mod login;
mod signed_in;
mod token;
mod verify;
