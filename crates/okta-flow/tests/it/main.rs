//! okta-flow against the in-process okta-devserver: the whole login, every fault the server can
//! inject, each with the error a service would see, and two replicas of a web app sharing Redis.

mod faults;
mod flow;
mod harness;
#[cfg(feature = "redis")]
mod replicas;
