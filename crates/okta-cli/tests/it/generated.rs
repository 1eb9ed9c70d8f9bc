//! Completions and the man page come from the clap definitions; `--help` lists the exit codes
//! and never points at a file an installed binary does not have.

use crate::harness::Okta;

#[tokio::test]
async fn completion_scripts_for_each_shell_name_the_subcommands_and_flags() {
    for (shell, marker) in [
        ("bash", "complete -F _okta"),
        ("zsh", "#compdef okta"),
        ("fish", "complete -c okta"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = Okta::new(["completion", shell]).run().await;
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(
            run.stdout.contains(marker),
            "{shell}: {}",
            &run.stdout[..200.min(run.stdout.len())]
        );
        for word in ["verify", "token-file", "output"] {
            assert!(run.stdout.contains(word), "{shell} completes {word}");
        }
    }
    let run = Okta::new(["completion", "tcsh"]).run().await;
    assert_eq!(run.code, 2, "{run:?}");
}

#[tokio::test]
async fn the_man_page_is_roff_with_every_subcommand() {
    let run = Okta::new(["man"]).run().await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(".TH okta 1"), "{}", &run.stdout[..200.min(run.stdout.len())]);
    for word in ["login", "verify", "decode", "discover", "token", "config", "Exit codes"] {
        assert!(run.stdout.contains(word), "the man page names {word}");
    }
}

#[tokio::test]
async fn help_lists_the_exit_codes_and_points_at_no_doc_file() {
    let run = Okta::new(["--help"]).run().await;
    assert_eq!(run.code, 0, "{run:?}");
    for line in ["Exit codes:", "  0  success", "  1  the command ran and failed", "  2  usage"] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
    let verify = Okta::new(["verify", "--help"]).run().await;
    assert!(verify.stdout.contains("Exit codes:"), "{verify:?}");
    for command in ["login", "verify", "decode", "discover", "token", "config", "completion"] {
        let run = Okta::new([command, "--help"]).run().await;
        assert_eq!(run.code, 0, "{command}: {run:?}");
        assert!(!run.stdout.contains("docs/") && !run.stdout.contains(".md"), "{command}: {run:?}");
    }
    assert!(!run.stdout.contains("docs/"), "{run:?}");
}
