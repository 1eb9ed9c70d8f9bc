//! `cargo xtask fuzz`: runs every cargo-fuzz target of `fuzz/` in turn for a fixed time and
//! reports the executions, failing on the first crash (see `fuzz/README.md`).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::flags::Fuzz;
use crate::{cargo, project_root, report};

impl Fuzz {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let fuzz_dir = project_root().join("fuzz");
        let has_cargo_fuzz = cargo()
            .args(["fuzz", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !has_cargo_fuzz {
            bail!(
                "cargo-fuzz is not installed: cargo install cargo-fuzz --locked --version 0.13.2"
            );
        }
        let targets = match self.target {
            Some(target) => vec![target],
            None => targets(&fuzz_dir)?,
        };
        // No sanitizer: libFuzzer's coverage guidance works on the stable toolchain this way
        // (AddressSanitizer needs nightly flags; see fuzz/README.md).
        report("fuzz: building the targets (release, no sanitizer)");
        let status = cargo()
            .current_dir(&fuzz_dir)
            .args(["fuzz", "build", "--sanitizer", "none", "-O"])
            .status()
            .context("running cargo fuzz build")?;
        if !status.success() {
            bail!("building the fuzz targets failed");
        }
        let mut rows = Vec::new();
        for target in &targets {
            let executions = run_target(&fuzz_dir, target, self.seconds)?;
            report(&format!(
                "fuzz: {target}: {executions} executions in {} s, no crash",
                self.seconds
            ));
            rows.push((target.clone(), executions));
        }
        report(&format!("\n{:<22} {:>8} {:>14}", "target", "seconds", "executions"));
        for (target, executions) in rows {
            report(&format!("{target:<22} {:>8} {executions:>14}", self.seconds));
        }
        Ok(())
    }
}

/// The targets, one per file of `fuzz/fuzz_targets/`, in name order.
fn targets(fuzz_dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut targets = Vec::new();
    for entry in
        std::fs::read_dir(fuzz_dir.join("fuzz_targets")).context("listing fuzz/fuzz_targets")?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "rs")
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
        {
            targets.push(stem.to_owned());
        }
    }
    targets.sort();
    Ok(targets)
}

/// Fuzzes one target from its seeds for `seconds`; returns libFuzzer's execution count.
fn run_target(fuzz_dir: &Path, target: &str, seconds: usize) -> anyhow::Result<u64> {
    let corpus = fuzz_dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let seeds = fuzz_dir.join("seeds").join(target);
    // libFuzzer writes a lot to stderr: into a file, or a full pipe would stall it.
    std::fs::create_dir_all(fuzz_dir.join("target")).context("creating fuzz/target")?;
    let log_path = fuzz_dir.join("target").join(format!("xtask-fuzz-{target}.log"));
    let log_file = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let mut command = cargo();
    command
        .current_dir(fuzz_dir)
        .args(["fuzz", "run", "--sanitizer", "none", "-O", target])
        .arg(&corpus)
        .args(seeds.is_dir().then_some(&seeds))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .stdout(Stdio::null())
        .stderr(log_file);
    let mut child = command.spawn().with_context(|| format!("starting cargo fuzz run {target}"))?;
    // `-max_total_time` bounds the fuzzing only: a watchdog bounds the whole run.
    let deadline = Instant::now()
        + Duration::from_secs(u64::try_from(seconds).unwrap_or(u64::MAX))
        + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("fuzz target {target} did not stop within {seconds} s plus two minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = std::fs::read_to_string(&log_path)
        .with_context(|| format!("reading {}", log_path.display()))?;
    if !status.success() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "fuzz target {target} failed (a crash is saved under fuzz/artifacts/{target}/):\n{}",
            tail.join("\n")
        );
    }
    // libFuzzer's last words: "Done 4305361 runs in 11 second(s)".
    log.lines()
        .rev()
        .find_map(|line| line.strip_prefix("Done ")?.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no execution count in the output of {target}"))
}
