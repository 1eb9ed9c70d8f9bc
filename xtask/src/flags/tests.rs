//! Tests of the command-line parser.

use super::*;

fn parse_args(line: &str) -> anyhow::Result<Command> {
    parse(line.split_whitespace().map(str::to_owned))
}

#[test]
fn commands_and_defaults() {
    assert_eq!(parse_args("").unwrap(), Command::Help);
    assert_eq!(parse_args("tidy").unwrap(), Command::Tidy);
    assert_eq!(
        parse_args("e2e").unwrap(),
        Command::E2e(E2e { issuer: None, browser: false, repeat: 1 })
    );
    assert_eq!(parse_args("bench").unwrap(), Command::Bench(Bench { repeat: 20, quick: false }));
    assert_eq!(
        parse_args("fixtures --check").unwrap(),
        Command::Fixtures(Fixtures { check: true })
    );
    assert_eq!(
        parse_args("doctor --devserver").unwrap(),
        Command::Doctor(Doctor {
            issuer: None,
            devserver: true,
            role: DoctorRole::Client,
            scopes: None
        })
    );
    assert_eq!(
        parse_args("doctor --role service --scopes orders:read").unwrap(),
        Command::Doctor(Doctor {
            issuer: None,
            devserver: false,
            role: DoctorRole::Service,
            scopes: Some("orders:read".to_owned())
        })
    );
    assert!(
        parse_args("doctor --role web").unwrap_err().to_string().starts_with("--role is client")
    );
    assert_eq!(
        parse_args("chaos").unwrap(),
        Command::Chaos(Chaos { duration: 45, users: 150, grace_period: 30 })
    );
    assert_eq!(
        parse_args("chaos --users 500 --duration=600 --grace-period 0").unwrap(),
        Command::Chaos(Chaos { duration: 600, users: 500, grace_period: 0 })
    );
    assert!(parse_args("chaos --users 0").is_err());
    assert!(parse_args("chaos --grace-period 61").is_err());
}

#[test]
fn options_in_any_order_and_both_value_forms() {
    let expected = Command::E2e(E2e {
        issuer: Some("https://dev-1.okta.com/oauth2/default".to_owned()),
        browser: true,
        repeat: 5,
    });
    assert_eq!(
        parse_args("e2e --repeat 5 --browser --issuer https://dev-1.okta.com/oauth2/default")
            .unwrap(),
        expected
    );
    assert_eq!(
        parse_args("e2e --issuer=https://dev-1.okta.com/oauth2/default --browser --repeat=5")
            .unwrap(),
        expected
    );
}

#[test]
fn mistakes_are_explained() {
    let message = |line| parse_args(line).unwrap_err().to_string();
    assert!(
        message("e2e --repeat 0")
            .starts_with("--repeat takes a whole number of at least 1, not `0`")
    );
    assert!(message("e2e --repeat many").contains("not `many`"));
    assert!(message("e2e --issuer").starts_with("--issuer needs a value"));
    assert!(message("e2e --issuer --browser").starts_with("--issuer needs a value"));
    assert!(message("e2e --brwser").starts_with("unexpected argument `--brwser`"));
    assert!(message("deploy").starts_with("unknown command `deploy`"));
    assert!(message("tidy --fix").starts_with("unexpected argument `--fix`"));
    assert_eq!(
        message("doctor --devserver --issuer https://x.okta.com"),
        "--issuer and --devserver exclude each other"
    );
}

#[test]
fn fuzz_takes_seconds_and_a_target() {
    assert_eq!(parse_args("fuzz").unwrap(), Command::Fuzz(Fuzz { seconds: 10, target: None }));
    assert_eq!(
        parse_args("fuzz --seconds 60 --target jwt_parse").unwrap(),
        Command::Fuzz(Fuzz { seconds: 60, target: Some("jwt_parse".into()) })
    );
    assert!(parse_args("fuzz --seconds 0").is_err());
}

#[test]
fn third_party_takes_an_ecosystem() {
    assert_eq!(parse_args("third-party").unwrap(), Command::ThirdParty(ThirdParty { only: None }));
    assert_eq!(
        parse_args("third-party --only python").unwrap(),
        Command::ThirdParty(ThirdParty { only: Some("python".into()) })
    );
    assert!(parse_args("third-party --only").is_err());
}
