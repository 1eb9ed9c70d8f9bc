//! Tests of the crate-graph invariants on fake `cargo metadata` output.

use serde_json::{Value, json};

use super::*;

/// A workspace of `members` (name, [(dependency, kind)]) plus the external crate `serde`;
/// a kind is `null` (normal), `"dev"` or `"build"`.
fn workspace(members: &[(&str, &[(&str, Value)])]) -> Workspace {
    let id = |name: &str| format!("path+file:///repo/{name}#0.1.0");
    let mut packages: Vec<Value> = members
        .iter()
        .map(|(name, _)| {
            json!({
                "id": id(name),
                "name": name,
                "manifest_path": format!("/repo/{name}/Cargo.toml"),
                "targets": [{ "kind": ["lib"], "name": name, "src_path": format!("/repo/{name}/src/lib.rs") }],
            })
        })
        .collect();
    packages.push(json!({
        "id": id("serde"),
        "name": "serde",
        "manifest_path": "/registry/serde/Cargo.toml",
        "targets": [],
    }));
    let nodes: Vec<Value> = members
        .iter()
        .map(|(name, dependencies)| {
            let deps: Vec<Value> = dependencies
                .iter()
                .map(|(dependency, kind)| {
                    json!({ "pkg": id(dependency), "dep_kinds": [{ "kind": kind, "target": null }] })
                })
                .collect();
            json!({ "id": id(name), "deps": deps })
        })
        .chain([json!({ "id": id("serde"), "deps": [] })])
        .collect();
    let metadata = json!({
        "packages": packages,
        "workspace_members": members.iter().map(|(name, _)| id(name)).collect::<Vec<_>>(),
        "resolve": { "nodes": nodes },
    });
    Workspace::parse(&metadata.to_string()).unwrap()
}

const NORMAL: Value = Value::Null;

fn dev() -> Value {
    json!("dev")
}

#[test]
fn todays_graph_passes() {
    let graph = workspace(&[
        ("okta-config", &[("serde", NORMAL)]),
        ("okta-verify", &[("okta-config", NORMAL)]),
        ("okta-flow", &[("okta-verify", NORMAL), ("okta-devserver", dev())]),
        ("okta-devserver", &[("serde", NORMAL), ("okta-config", dev())]),
        ("okta-e2e", &[("okta-flow", NORMAL), ("okta-devserver", NORMAL)]),
        ("xtask", &[("okta-e2e", NORMAL)]),
    ]);
    assert_eq!(check(&graph), Vec::<String>::new());
}

#[test]
fn the_devserver_may_not_ship_any_library_not_even_a_new_one() {
    let graph = workspace(&[
        ("okta-config", &[]),
        ("okta-verify", &[]),
        ("okta-http", &[]),
        ("okta-devserver", &[("okta-http", json!("build"))]),
    ]);
    assert_eq!(
        check(&graph),
        ["okta-devserver depends on okta-http: it shares no code with the libraries it tests (a \
          dev-dependency for its tests is allowed, except on okta-verify)"]
    );
}

#[test]
fn the_devserver_and_the_verifier_never_meet_even_through_another_crate() {
    let graph = workspace(&[
        ("okta-config", &[("okta-verify", dev())]),
        ("okta-flow", &[("okta-verify", NORMAL)]),
        ("okta-verify", &[]),
        ("okta-devserver", &[("okta-config", dev()), ("okta-flow", dev())]),
    ]);
    assert_eq!(
        check(&graph),
        ["okta-devserver depends on okta-verify (through okta-flow) (any kind of edge): the two \
          must stay independent"],
        "okta-config's own dev-dependency on the verifier is not built for the devserver"
    );
}

#[test]
fn no_library_ships_the_devserver() {
    let graph = workspace(&[
        ("okta-verify", &[]),
        ("okta-flow", &[("okta-devserver", NORMAL)]),
        ("okta-devserver", &[]),
        ("okta-e2e", &[("okta-devserver", NORMAL)]),
    ]);
    assert_eq!(
        check(&graph),
        ["okta-flow depends on okta-devserver: a library may use it in its tests only \
          ([dev-dependencies])"]
    );
}

#[test]
fn a_renamed_crate_is_reported_rather_than_passing_silently() {
    let graph = workspace(&[("okta-verify", &[])]);
    assert_eq!(
        check(&graph),
        ["okta-devserver is not a workspace member: update xtask/src/tidy/crate_graph.rs"]
    );
}
