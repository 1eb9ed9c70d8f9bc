//! Rendering runs for people: the step table with durations, the summary line, and p50/p95/p99
//! per step over repeated runs.

use std::fmt::Write as _;
use std::time::Duration;

use crate::steps::{FlowReport, Outcome, Step, StepRecord};

/// The column header of [`step_line`] rows.
pub fn step_header() -> String {
    format!("  {:<22} {:<7} {:>10}  {}", "step", "result", "time", "detail")
}

/// One row of the step table.
pub fn step_line(record: &StepRecord) -> String {
    let mut line = format!(
        "  {:<22} {:<7} {:>10}  {}",
        record.step().name(),
        record.outcome().label(),
        format_duration(record.duration()),
        record.outcome().text()
    );
    if let Some(path) = record.screenshot() {
        let _ = write!(line, " [screenshot: {}]", path.display());
    }
    line
}

/// The whole table of a run, with its summary line.
pub fn render_report(report: &FlowReport) -> String {
    let mut text = step_header();
    for record in report.steps() {
        text.push('\n');
        text.push_str(&step_line(record));
    }
    text.push_str("\n\n");
    text.push_str(&summary(report));
    text
}

/// `13 steps in 152.3 ms: 13 passed, 0 skipped, 0 failed`, or which step failed and why.
pub fn summary(report: &FlowReport) -> String {
    let (passed, skipped, failed) = report.counts();
    let counts = format!(
        "{} of {} steps in {}: {passed} passed, {skipped} skipped, {failed} failed",
        report.steps().len(),
        Step::ALL.len(),
        format_duration(report.total())
    );
    match report.failure() {
        Some(record) => {
            let mut text =
                format!("FAILED at step \"{}\": {}", record.step(), record.outcome().text());
            if let Some(path) = record.screenshot() {
                let _ = write!(text, "\n  screenshot: {}", path.display());
            }
            format!("{text}\n  ({counts})")
        }
        None => counts,
    }
}

/// Latency of one step over several runs (passed runs of the step only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepStats {
    /// The step, or `None` for the whole run.
    pub step: Option<Step>,
    /// How many samples.
    pub samples: usize,
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

/// p50/p95/p99 per step (nearest rank), in step order, then the whole run; steps that never
/// passed are left out.
pub fn statistics(reports: &[FlowReport]) -> Vec<StepStats> {
    let mut rows = Vec::new();
    for step in Step::ALL {
        let samples: Vec<Duration> = reports
            .iter()
            .filter_map(|report| report.get(step))
            .filter(|record| matches!(record.outcome(), Outcome::Passed { .. }))
            .map(StepRecord::duration)
            .collect();
        rows.extend(stats(Some(step), samples));
    }
    let totals = reports.iter().filter(|r| r.is_success()).map(FlowReport::total).collect();
    rows.extend(stats(None, totals));
    rows
}

/// The statistics as a table.
pub fn render_statistics(rows: &[StepStats]) -> String {
    let mut text = format!(
        "  {:<22} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "step", "runs", "p50", "p95", "p99", "max"
    );
    for row in rows {
        let name = row.step.map_or("whole flow", Step::name);
        let _ = write!(
            text,
            "\n  {name:<22} {:>7} {:>10} {:>10} {:>10} {:>10}",
            row.samples,
            format_duration(row.p50),
            format_duration(row.p95),
            format_duration(row.p99),
            format_duration(row.max)
        );
    }
    text
}

/// The `p`-th percentile (0 < p ≤ 100) of sorted samples by the nearest-rank method.
pub fn percentile(sorted: &[Duration], p: u32) -> Option<Duration> {
    if sorted.is_empty() || p == 0 || p > 100 {
        return None;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100);
    sorted.get(rank.saturating_sub(1)).copied()
}

/// `0.42 ms`, `12.3 ms`, `1.52 s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else if millis < 1000.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{:.2} s", millis / 1000.0)
    }
}

fn stats(step: Option<Step>, mut samples: Vec<Duration>) -> Option<StepStats> {
    samples.sort_unstable();
    Some(StepStats {
        step,
        samples: samples.len(),
        p50: percentile(&samples, 50)?,
        p95: percentile(&samples, 95)?,
        p99: percentile(&samples, 99)?,
        max: *samples.last()?,
    })
}

#[cfg(test)]
mod tests;

/// One row of the service scenario's table, in the columns of [`step_line`].
pub fn service_step_line(record: &crate::service::ServiceRecord) -> String {
    format!(
        "  {:<22} {:<7} {:>10}  {}",
        record.step().name(),
        record.outcome().label(),
        format_duration(record.duration()),
        record.outcome().text()
    )
}

/// `8 of 8 service steps in 41.2 ms (with starting ...): 8 passed`, or which step failed and why.
pub fn service_summary(report: &crate::service::ServiceReport) -> String {
    let passed = report.steps().iter().filter(|r| r.outcome().label() == "passed").count();
    let counts = format!(
        "{} of {} service steps in {} (with starting B and C and their servers' keys): {passed} passed",
        report.steps().len(),
        crate::service::ServiceStep::ALL.len(),
        format_duration(report.total())
    );
    match report.failure() {
        Some(record) => {
            format!(
                "FAILED at step \"{}\": {}\n  ({counts})",
                record.step(),
                record.outcome().text()
            )
        }
        None => counts,
    }
}
