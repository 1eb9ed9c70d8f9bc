//! Unit tests of the refusal log's rate limit, with the clock's seconds given directly.

use crate::audit::RefusalLog;

#[test]
fn at_most_the_limit_per_second_and_the_rest_counted() {
    let log = RefusalLog::new(3);
    let admitted: Vec<bool> = (0..5).map(|_| log.admit(100)).collect();
    assert_eq!(admitted, [true, true, true, false, false]);
    assert_eq!(log.suppressed.load(std::sync::atomic::Ordering::Relaxed), 2);
    // A new second: the count is reported (and reset), and lines are admitted again.
    assert!(log.admit(101));
    assert_eq!(log.suppressed.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert!(log.admit(101) && log.admit(101));
    assert!(!log.admit(101));
}

#[test]
fn a_limit_of_zero_logs_nothing() {
    let log = RefusalLog::new(0);
    assert!(!log.admit(1));
    assert!(!log.admit(2));
}
