//! `cargo xtask bench`: `cargo bench -p okta-verify` (see docs/performance.md): the
//! verification benchmarks, then the HTTP-level one (an axum worker on one core, the load on the
//! other), then the flow latency from `e2e --repeat`, printed as one table of ratios.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use okta_e2e::{Agent, Credentials, FlowOptions, Step, Target, report as table, run_repeated};

use crate::flags::Bench;
use crate::{cargo, report, target_dir};

/// The okta-verify benchmarks in the table: criterion id, label, the ratio's reference, target.
const CASES: [(&str, &str, Reference, &str); 7] = [
    ("a_raw_signature", "(a) raw aws-lc-rs RS256 check, parsed key", Reference::A, "the floor"),
    (
        "b_full_validation",
        "(b) full access-token validation, warm keys",
        Reference::A,
        "≥ 0.95 × (a)",
    ),
    ("c_cache_hit", "(c) verified-token cache hit", Reference::A, "≥ 50 × (a)"),
    ("d_two_threads", "(d) two threads, one verifier (wall clock)", Reference::B, "≥ 1.9 × (b)"),
    (
        "d_cached_two_threads_same_token",
        "(d') cache hits on two threads, one token (wall clock)",
        Reference::C,
        "≥ 1.9 × (c)",
    ),
    (
        "d_cached_two_threads_own_tokens",
        "(d') cache hits on two threads, a token each (wall clock)",
        Reference::C,
        "≥ 1.9 × (c)",
    ),
    ("x_jsonwebtoken_full", "(x) jsonwebtoken 11, same token", Reference::A, "-"),
];

/// The flow steps whose latency goes in the table.
const FLOW_STEPS: [Step; 5] =
    [Step::Discovery, Step::SignIn, Step::CodeExchange, Step::AccessToken, Step::Refresh];

#[derive(Clone, Copy)]
enum Reference {
    A,
    B,
    C,
}

impl Bench {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        report(
            "bench: cargo bench -p okta-verify (about 4 minutes; run it on an idle machine, the \
             load average is printed with each part)",
        );
        let mut command = cargo();
        command.args(["bench", "-p", "okta-verify", "--bench", "verify", "--bench", "http"]);
        if self.quick {
            command.args(["--", "--quick"]);
        }
        let status = command.status().context("running cargo bench -p okta-verify")?;
        if !status.success() {
            bail!("cargo bench -p okta-verify failed");
        }
        let criterion = target_dir().join("criterion").join("verify");
        let medians: Vec<Option<f64>> =
            CASES.iter().map(|(id, ..)| median_ns(&criterion, id)).collect();

        report(&format!("\nbench: the flow against okta-devserver, {} run(s)", self.repeat));
        let reports = crate::runtime()?.block_on(async {
            let target = Target::devserver().await.context("starting okta-devserver in-process")?;
            let options = FlowOptions::new(&target, Credentials::demo());
            anyhow::Ok(
                run_repeated(&target, Agent::Http, &options, self.repeat, &mut |_, _| {}).await,
            )
        })?;
        if let Some(failed) = reports.last().and_then(okta_e2e::FlowReport::failure) {
            bail!("the flow failed at step \"{}\": {}", failed.step(), failed.outcome().text());
        }
        let stats = table::statistics(&reports);
        report(&format!("\n{}", render(&medians, &stats)));
        Ok(())
    }
}

/// One markdown table: the benchmarks with their ratios, then the flow's p50s in units of (b).
fn render(medians: &[Option<f64>], stats: &[table::StepStats]) -> String {
    let a = medians.first().copied().flatten();
    let b = medians.get(1).copied().flatten();
    let c = medians.get(2).copied().flatten();
    let mut text = String::from("| measure | time | ratio | target |\n| --- | --- | --- | --- |\n");
    for ((_, label, reference, target), median) in CASES.iter().zip(medians) {
        let Some(median) = median else {
            let _ = writeln!(text, "| {label} | not measured | | {target} |");
            continue;
        };
        let ratio = match (reference, a, b, c) {
            (Reference::A, Some(a), _, _) => format!("{:.2} × (a) speed", a / median),
            (Reference::B, _, Some(b), _) => format!("{:.2} × (b) throughput", b / median),
            (Reference::C, _, _, Some(c)) => format!("{:.2} × (c) throughput", c / median),
            _ => String::new(),
        };
        let _ = writeln!(text, "| {label} | {} | {ratio} | {target} |", micros(*median));
    }
    for row in stats {
        let in_flow = row.step.is_none_or(|step| FLOW_STEPS.contains(&step));
        if !in_flow {
            continue;
        }
        let label = row.step.map_or("the whole flow (13 steps)", Step::name);
        let p50 = row.p50.as_secs_f64() * 1e9;
        let ratio = b
            .map(|b| match p50 / b {
                small if small < 10.0 => format!("{small:.1} × (b) time"),
                large => format!("{large:.0} × (b) time"),
            })
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "| flow: {label}, p50 (p95 {}, p99 {}) | {} | {ratio} | - |",
            table::format_duration(row.p95),
            table::format_duration(row.p99),
            table::format_duration(row.p50)
        );
    }
    text.push_str(
        "\n(a)-(x): criterion medians of this run; ratios of speed against (a), as in docs/performance.md.\n\
         flow rows: p50 of `cargo xtask e2e --repeat` against the in-process devserver (debug build),\n\
         and how many full access-token validations (b) the same time would pay for.",
    );
    text
}

/// Criterion's median estimate of one benchmark of the last run, in nanoseconds.
fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(criterion.join(id).join("new/estimates.json")).ok()?;
    median_from_estimates(&text)
}

fn median_from_estimates(json: &str) -> Option<f64> {
    let after = &json[json.find("\"median\"")?..];
    let after = &after[after.find("\"point_estimate\"")? + "\"point_estimate\"".len()..];
    let number: String = after
        .trim_start_matches(|c: char| c == ':' || c.is_whitespace())
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number.parse().ok()
}

/// `12.79 µs`.
fn micros(nanos: f64) -> String {
    let duration = Duration::from_secs_f64(nanos / 1e9);
    format!("{:.2} µs", duration.as_secs_f64() * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_estimates() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":14000.5,"standard_error":3.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":12700.1,"upper_bound":12900.0},"point_estimate":12790.25,"standard_error":10.0}}"#;
        assert_eq!(median_from_estimates(json), Some(12790.25));
        assert_eq!(median_from_estimates(r#"{"median":{"point_estimate":1.5e4}}"#), Some(15000.0));
        assert_eq!(median_from_estimates("{}"), None);
    }

    #[test]
    fn the_table_gives_ratios_against_a_and_b() {
        let medians =
            [Some(12_800.0), Some(14_200.0), Some(200.0), Some(7_480.0), Some(104.0), None, None];
        let row = |step, p50| table::StepStats {
            step: Some(step),
            samples: 20,
            p50: Duration::from_micros(p50),
            p95: Duration::from_micros(3_100),
            p99: Duration::from_micros(3_500),
            max: Duration::from_micros(3_500),
        };
        let stats = vec![
            row(Step::CodeExchange, 2_840),
            row(Step::AccessToken, 41),
            row(Step::Introspect, 700),
        ];
        let text = render(&medians, &stats);
        assert!(text.contains("| flow: access token verified, p50 (p95 3.10 ms, p99 3.50 ms) | 0.04 ms | 2.9 × (b) time |"), "{text}");
        assert!(!text.contains("introspect"), "only the listed steps: {text}");
        assert!(text.contains("| (b) full access-token validation, warm keys | 14.20 µs | 0.90 × (a) speed | ≥ 0.95 × (a) |"), "{text}");
        assert!(
            text.contains(
                "| (c) verified-token cache hit | 0.20 µs | 64.00 × (a) speed | ≥ 50 × (a) |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| (d') cache hits on two threads, one token (wall clock) | 0.10 µs | 1.92 × (c) throughput | ≥ 1.9 × (c) |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| (d') cache hits on two threads, a token each (wall clock) | not measured |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| (d) two threads, one verifier (wall clock) | 7.48 µs | 1.90 × (b) throughput |"
            ),
            "{text}"
        );
        assert!(text.contains("| (x) jsonwebtoken 11, same token | not measured |"), "{text}");
        assert!(text.contains("| flow: code exchange, p50 (p95 3.10 ms, p99 3.50 ms) | 2.84 ms | 200 × (b) time | - |"), "{text}");
    }
}
