//! okta-flow against the in-process okta-devserver: the whole login, and every fault the server
//! can inject, each with the error a service would see; and two replicas of a web app sharing
//! Redis.

mod client_auth;
mod conformance;
mod device;
mod faults;
mod flow;
mod harness;
#[cfg(feature = "redis")]
mod managed_redis;
mod preflight;
#[cfg(feature = "redis")]
mod redis_servers;
#[cfg(feature = "redis")]
mod replicas;
mod secrets;
