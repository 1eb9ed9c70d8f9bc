//! Tests for the injected clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use crate::Clock;

#[test]
fn fixed_clock_reads_the_same_time() {
    let clock = Clock::fixed_unix(1_700_000_000);
    assert_eq!(clock.unix_seconds(), 1_700_000_000);
    assert_eq!(clock.clone().now(), UNIX_EPOCH + Duration::from_secs(1_700_000_000));
}

#[test]
fn closure_clock_moves() {
    let seconds = Arc::new(AtomicU64::new(10));
    let source = Arc::clone(&seconds);
    let clock =
        Clock::from_fn(move || UNIX_EPOCH + Duration::from_secs(source.load(Ordering::Relaxed)));
    assert_eq!(clock.unix_seconds(), 10);
    seconds.store(20, Ordering::Relaxed);
    assert_eq!(clock.unix_seconds(), 20);
}

#[test]
fn times_before_the_epoch_read_as_zero() {
    let clock = Clock::fixed(UNIX_EPOCH - Duration::from_secs(5));
    assert_eq!(clock.unix_seconds(), 0);
}

#[test]
fn system_clock_is_after_2020() {
    assert!(Clock::system().unix_seconds() > 1_577_836_800);
}

#[test]
fn debug_shows_no_internals() {
    assert_eq!(format!("{:?}", Clock::fixed_unix(0)), "Clock { .. }");
}
