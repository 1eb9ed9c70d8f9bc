//! Tests of the percentile arithmetic and the report texts.

use std::time::Duration;

use super::*;

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|v| Duration::from_millis(*v)).collect()
}

#[test]
fn nearest_rank_percentiles() {
    let samples = ms(&(1..=100).collect::<Vec<_>>());
    assert_eq!(percentile(&samples, 50), Some(Duration::from_millis(50)));
    assert_eq!(percentile(&samples, 95), Some(Duration::from_millis(95)));
    assert_eq!(percentile(&samples, 99), Some(Duration::from_millis(99)));
    assert_eq!(percentile(&samples, 100), Some(Duration::from_millis(100)));
    let few = ms(&[10, 20, 30]);
    assert_eq!(percentile(&few, 50), Some(Duration::from_millis(20)));
    assert_eq!(percentile(&few, 99), Some(Duration::from_millis(30)));
    assert_eq!(percentile(&ms(&[7]), 1), Some(Duration::from_millis(7)));
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&few, 0), None);
    assert_eq!(percentile(&few, 101), None);
}

#[test]
fn durations_read_well() {
    assert_eq!(format_duration(Duration::from_micros(420)), "0.42 ms");
    assert_eq!(format_duration(Duration::from_micros(12_345)), "12.3 ms");
    assert_eq!(format_duration(Duration::from_millis(1520)), "1.52 s");
}
