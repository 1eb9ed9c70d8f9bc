//! Tests of access-policy evaluation: policy by client, rule by grant and scopes, default
//! scopes, lifetimes.

use std::time::Duration;

use super::*;
use crate::AuthorizationServer;

fn server(config: &AuthorizationServer) -> ServerInfo {
    ServerInfo::custom("http://127.0.0.1:8900", config)
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|scope| (*scope).to_owned()).collect()
}

/// A server like Okta's examples: `read` (default), `write` and `admin`; the batch job may
/// read and write by client credentials, the reporter may read (two rules, the second with a
/// short lifetime), everyone else only signs users in.
fn api() -> ServerInfo {
    server(
        &AuthorizationServer::new("api")
            .with_default_scope("read")
            .with_scope("write")
            .with_scope("admin")
            .with_policy(
                AccessPolicy::new("Batch").for_clients(["batch"]).with_rule(
                    PolicyRule::new("Read and write")
                        .with_grant_types([GrantType::ClientCredentials])
                        .with_scopes(["read", "write"]),
                ),
            )
            .with_policy(
                AccessPolicy::new("Reports")
                    .for_clients(["reporter", "batch"])
                    .with_rule(
                        PolicyRule::new("Admin reads")
                            .with_grant_types([GrantType::ClientCredentials])
                            .with_scopes(["admin"])
                            .with_access_token_lifetime(Duration::from_mins(5)),
                    )
                    .with_rule(
                        PolicyRule::new("Reads")
                            .with_grant_types([
                                GrantType::ClientCredentials,
                                GrantType::TokenExchange,
                            ])
                            .with_scopes(["read"]),
                    ),
            )
            .with_policy(
                AccessPolicy::new("Everyone else").with_rule(
                    PolicyRule::new("Users")
                        .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken]),
                ),
            ),
    )
}

/// What a case expects: the scopes and lifetime granted, or the refusal.
type Outcome = Result<(Vec<String>, Option<Duration>), Refusal>;

fn check(client: &str, grant: GrantType, requested: &[&str]) -> Outcome {
    evaluate(&api(), client, grant, &scopes(requested))
        .map(|granted| (granted.scopes, granted.lifetime))
}

#[test]
fn the_first_policy_naming_the_client_and_its_first_fitting_rule_decide() {
    use GrantType::{ClientCredentials, TokenExchange};
    let cases: [(&str, GrantType, &[&str], Outcome); 10] = [
        ("batch", ClientCredentials, &["read", "write"], Ok((scopes(&["read", "write"]), None))),
        ("batch", ClientCredentials, &["write"], Ok((scopes(&["write"]), None))),
        // The batch job's policy is "Batch": the later "Reports" never applies to it.
        (
            "batch",
            ClientCredentials,
            &["admin"],
            Err(Refusal::ScopesNotAllowed(scopes(&["admin"]))),
        ),
        ("batch", TokenExchange, &["read"], Err(Refusal::NoRule)),
        (
            "reporter",
            ClientCredentials,
            &["admin"],
            Ok((scopes(&["admin"]), Some(Duration::from_mins(5)))),
        ),
        // The first rule does not allow `read`; the second does.
        ("reporter", ClientCredentials, &["read"], Ok((scopes(&["read"]), None))),
        // No single rule allows both: refused, naming what the first rule does not allow.
        (
            "reporter",
            ClientCredentials,
            &["admin", "read"],
            Err(Refusal::ScopesNotAllowed(scopes(&["read"]))),
        ),
        (
            "reporter",
            ClientCredentials,
            &["write"],
            Err(Refusal::ScopesNotAllowed(scopes(&["write"]))),
        ),
        ("reporter", TokenExchange, &["read"], Ok((scopes(&["read"]), None))),
        ("web-app", ClientCredentials, &["read"], Err(Refusal::NoRule)),
    ];
    for (client, grant, requested, expected) in cases {
        assert_eq!(check(client, grant, requested), expected, "{client} {grant:?} {requested:?}");
    }
}

#[test]
fn no_scope_means_the_default_scopes_the_first_rule_allows() {
    assert_eq!(check("batch", GrantType::ClientCredentials, &[]), Ok((scopes(&["read"]), None)));
    // The reporter's first rule for the grant allows only `admin`, which is not a default.
    assert_eq!(check("reporter", GrantType::ClientCredentials, &[]), Err(Refusal::NoScopes));
    let without_defaults = server(&AuthorizationServer::new("bare").with_scope("x"));
    assert_eq!(
        evaluate(&without_defaults, "any", GrantType::ClientCredentials, &[])
            .map(|granted| granted.scopes),
        Err(Refusal::NoScopes)
    );
}

#[test]
fn a_server_without_policies_has_okta_s_default_policy() {
    let open = server(&AuthorizationServer::new("open").with_default_scope("a").with_scope("b"));
    for grant in GrantType::ALL {
        let granted = evaluate(&open, "anyone", grant, &scopes(&["a", "b"])).unwrap();
        assert_eq!(granted.scopes, scopes(&["a", "b"]));
        assert_eq!(granted.lifetime, None);
        assert_eq!(granted.rule, "Default Policy / Default Policy Rule");
    }
    assert_eq!(
        evaluate(&open, "anyone", GrantType::ClientCredentials, &[]).unwrap().scopes,
        scopes(&["a"])
    );
}
