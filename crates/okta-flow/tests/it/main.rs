//! okta-flow against the in-process okta-devserver: the whole login, and every fault the server
//! can inject, each with the error a service would see.

mod conformance;
mod faults;
mod flow;
mod harness;
mod secrets;
