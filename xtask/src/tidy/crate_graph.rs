//! The invariants of the crate graph (docs/architecture.md): okta-devserver shares no code with
//! the libraries it tests, never meets okta-verify, and no library ships it.

use crate::tidy::metadata::{ANY, SHIPPED, Workspace};

/// The local authorization server.
const DEVSERVER: &str = "okta-devserver";

/// The verifier, which must never be tested only against itself.
const VERIFIER: &str = "okta-verify";

/// Members on the test side of the workspace: they may depend on the devserver, and the
/// devserver does not test them. Every other member is a library the devserver tests (okta-config,
/// okta-verify, okta-flow, okta-cli, and any crate added later).
const TEST_SIDE: [&str; 3] = [DEVSERVER, "okta-e2e", "xtask"];

/// One problem sentence per broken invariant.
pub(crate) fn check(workspace: &Workspace) -> Vec<String> {
    let mut problems = Vec::new();
    for needed in [DEVSERVER, VERIFIER] {
        if workspace.member(needed).is_none() {
            problems.push(format!(
                "{needed} is not a workspace member: update xtask/src/tidy/crate_graph.rs"
            ));
        }
    }
    let (Some(devserver), Some(verifier)) =
        (workspace.member(DEVSERVER), workspace.member(VERIFIER))
    else {
        return problems;
    };
    let libraries: Vec<&str> = workspace
        .members
        .iter()
        .map(|member| member.name.as_str())
        .filter(|name| !TEST_SIDE.contains(name))
        .collect();

    // The devserver shares no code with the libraries it tests: its own clock, HTML escaping,
    // form decoding and client-authentication enum are deliberate copies.
    let shipped = workspace.reachable(&devserver.id, SHIPPED);
    for library in &libraries {
        if let Some(chain) = shipped.get(*library) {
            problems.push(format!(
                "{DEVSERVER} depends on {library}{}: it shares no code with the libraries it \
                 tests (a dev-dependency for its tests is allowed, except on {VERIFIER})",
                through(chain)
            ));
        }
    }

    // okta-devserver and okta-verify never meet, not even in each other's tests.
    for (from, to) in [(devserver, VERIFIER), (verifier, DEVSERVER)] {
        if let Some(chain) = workspace.reachable(&from.id, ANY).get(to) {
            problems.push(format!(
                "{} depends on {to}{} (any kind of edge): the two must stay independent",
                from.name,
                through(chain)
            ));
        }
    }

    // No library ships the devserver.
    for member in workspace.members.iter().filter(|member| libraries.contains(&&*member.name)) {
        if let Some(chain) = workspace.reachable(&member.id, SHIPPED).get(DEVSERVER) {
            problems.push(format!(
                "{} depends on {DEVSERVER}{}: a library may use it in its tests only \
                 ([dev-dependencies])",
                member.name,
                through(chain)
            ));
        }
    }
    problems
}

fn through(chain: &[String]) -> String {
    if chain.is_empty() { String::new() } else { format!(" (through {})", chain.join(" -> ")) }
}

#[cfg(test)]
mod tests;
