//! Access-policy evaluation of a custom authorization server, for the grants without a user
//! (`client_credentials`) and on behalf of one (token exchange): which scopes a client gets and
//! for how long, or why not.

use std::time::Duration;

use crate::authorization_servers::ServerInfo;
use crate::config::{AccessPolicy, GrantType, PolicyRule};

/// What the policy grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Granted {
    /// The scopes, in the order requested (or the server's order of default scopes).
    pub(crate) scopes: Vec<String>,
    /// The access-token lifetime of the matching rule, if it sets one.
    pub(crate) lifetime: Option<Duration>,
    /// The policy and rule that matched, for the logs.
    pub(crate) rule: String,
}

/// Why the policy grants nothing; each maps to one Okta error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No policy names the client, or its policy has no rule for the grant:
    /// `access_denied` "Policy evaluation failed for this request, please check the policy
    /// configurations.".
    NoRule,
    /// No scope was requested and the rule allows none of the server's default scopes:
    /// `invalid_scope` "No scopes were requested.".
    NoScopes,
    /// Requested scopes that the first rule for the grant does not allow (and no later rule
    /// allows all of them): `invalid_scope` "The following scopes are not allowed for this
    /// request: [...]".
    ScopesNotAllowed(Vec<String>),
}

/// Evaluates the server's access policies for `client_id` using `grant` with the `requested`
/// scopes (empty: the default scopes).
///
/// Okta picks the first policy (by priority) whose clients include the client, then the first
/// of its rules that matches the request; a server without policies has Okta's default policy,
/// one rule for every client, grant and scope.
pub(crate) fn evaluate(
    server: &ServerInfo,
    client_id: &str,
    grant: GrantType,
    requested: &[String],
) -> Result<Granted, Refusal> {
    let default_policy;
    let policy = if server.policies.is_empty() {
        default_policy =
            AccessPolicy::new("Default Policy").with_rule(PolicyRule::new("Default Policy Rule"));
        &default_policy
    } else {
        server.policies.iter().find(|policy| policy.applies_to(client_id)).ok_or(Refusal::NoRule)?
    };
    let mut rules = policy.rules().iter().filter(|rule| rule.grant_types().contains(&grant));
    let first = rules.clone().next().ok_or(Refusal::NoRule)?;
    let granted = |rule: &PolicyRule, scopes: Vec<String>| Granted {
        scopes,
        lifetime: rule.access_token_lifetime(),
        rule: format!("{} / {}", policy.name(), rule.name()),
    };
    if requested.is_empty() {
        let defaults: Vec<String> = server
            .default_scopes
            .iter()
            .filter(|scope| first.allows_scope(scope))
            .cloned()
            .collect();
        return if defaults.is_empty() {
            Err(Refusal::NoScopes)
        } else {
            Ok(granted(first, defaults))
        };
    }
    match rules.find(|rule| requested.iter().all(|scope| rule.allows_scope(scope))) {
        Some(rule) => Ok(granted(rule, requested.to_vec())),
        None => Err(Refusal::ScopesNotAllowed(
            requested.iter().filter(|scope| !first.allows_scope(scope)).cloned().collect(),
        )),
    }
}

#[cfg(test)]
mod tests;
