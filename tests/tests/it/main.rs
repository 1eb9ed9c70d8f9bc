//! The whole Authorization Code flow across the workspace crates, against the in-process
//! okta-devserver: the driver behind `cargo xtask e2e`, the paths a user can hit, the doctor, the
//! headless-browser sign-in, and the example web app and API used in headless Chromium.

mod browser;
mod doctor;
mod doctor_roles;
mod flow;
mod paths;
mod service;
mod support;
mod webapp;
