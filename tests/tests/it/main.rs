//! The whole Authorization Code flow across the workspace crates, against the in-process
//! okta-devserver: the driver behind `cargo xtask e2e`, the paths a user can hit, the doctor, and
//! the headless-browser sign-in.

mod browser;
mod doctor;
mod flow;
mod paths;
mod support;
