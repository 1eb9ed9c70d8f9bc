//! The workspace as `cargo metadata` describes it: its members, their targets, and the resolved
//! dependency edges of every package with their kinds.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde_json::Value;

/// The kind of a dependency edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DepKind {
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
    /// `[dependencies]`.
    Normal,
}

/// The edges a shipped artifact is built from: normal and build.
pub(crate) const SHIPPED: &[DepKind] = &[DepKind::Normal, DepKind::Build];

/// Every kind of edge.
pub(crate) const ANY: &[DepKind] = &[DepKind::Normal, DepKind::Build, DepKind::Dev];

/// A workspace member.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The directory of its `Cargo.toml`.
    pub(crate) dir: PathBuf,
    pub(crate) targets: Vec<Target>,
}

/// A compilation target of a member.
#[derive(Debug)]
pub(crate) struct Target {
    /// `lib`, `bin`, `test`, `example`, `bench`, `custom-build`...
    pub(crate) kind: String,
    pub(crate) name: String,
    /// Its root file.
    pub(crate) root: PathBuf,
}

/// The resolved workspace.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    pub(crate) members: Vec<Member>,
    /// Package id -> its dependencies (package id, kinds of the edge).
    edges: BTreeMap<String, Vec<(String, BTreeSet<DepKind>)>>,
    /// Package id -> package name.
    names: BTreeMap<String, String>,
}

impl Workspace {
    /// Runs `cargo metadata` on the workspace.
    pub(crate) fn load() -> anyhow::Result<Self> {
        let output = crate::cargo()
            .args(["metadata", "--format-version", "1", "--locked"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let text = String::from_utf8(output.stdout).context("cargo metadata printed non-UTF-8")?;
        Self::parse(&text)
    }

    /// Reads the JSON of `cargo metadata --format-version 1` (with its `resolve` graph).
    pub(crate) fn parse(json: &str) -> anyhow::Result<Self> {
        let metadata: Value = serde_json::from_str(json).context("parsing cargo metadata")?;
        let member_ids: BTreeSet<&str> =
            array(&metadata["workspace_members"])?.iter().filter_map(Value::as_str).collect();
        let mut workspace = Self::default();
        for package in array(&metadata["packages"])? {
            let id = string(&package["id"])?;
            let name = string(&package["name"])?;
            workspace.names.insert(id.to_owned(), name.to_owned());
            if !member_ids.contains(id) {
                continue;
            }
            let manifest = PathBuf::from(string(&package["manifest_path"])?);
            let mut targets = Vec::new();
            for target in array(&package["targets"])? {
                for kind in array(&target["kind"])?.iter().filter_map(Value::as_str) {
                    targets.push(Target {
                        kind: kind.to_owned(),
                        name: string(&target["name"])?.to_owned(),
                        root: PathBuf::from(string(&target["src_path"])?),
                    });
                }
            }
            workspace.members.push(Member {
                id: id.to_owned(),
                name: name.to_owned(),
                dir: manifest.parent().map(PathBuf::from).unwrap_or_default(),
                targets,
            });
        }
        for node in array(&metadata["resolve"]["nodes"])? {
            let mut dependencies = Vec::new();
            for dependency in array(&node["deps"])? {
                let kinds = array(&dependency["dep_kinds"])?
                    .iter()
                    .map(|kind| match kind["kind"].as_str() {
                        Some("dev") => DepKind::Dev,
                        Some("build") => DepKind::Build,
                        _ => DepKind::Normal,
                    })
                    .collect();
                dependencies.push((string(&dependency["pkg"])?.to_owned(), kinds));
            }
            workspace.edges.insert(string(&node["id"])?.to_owned(), dependencies);
        }
        Ok(workspace)
    }

    /// The member named `name`.
    pub(crate) fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|member| member.name == name)
    }

    /// What building `from` compiles: the packages reached over a first edge of the kinds
    /// `first`, then over normal and build edges only (a dependency's dev-dependencies are never
    /// built for us). Each is given by name with the names of the packages leading to it.
    pub(crate) fn reachable(&self, from: &str, first: &[DepKind]) -> BTreeMap<String, Vec<String>> {
        let mut chains: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut queue = VecDeque::from([(from.to_owned(), Vec::new())]);
        let mut seen = BTreeSet::from([from.to_owned()]);
        while let Some((id, chain)) = queue.pop_front() {
            let kinds = if id == from { first } else { SHIPPED };
            for (next, edge_kinds) in self.edges.get(&id).into_iter().flatten() {
                if !edge_kinds.iter().any(|kind| kinds.contains(kind)) || !seen.insert(next.clone())
                {
                    continue;
                }
                let name = self.names.get(next).cloned().unwrap_or_else(|| next.clone());
                chains.entry(name.clone()).or_insert_with(|| chain.clone());
                let mut longer = chain.clone();
                longer.push(name);
                queue.push_back((next.clone(), longer));
            }
        }
        chains
    }
}

fn array(value: &Value) -> anyhow::Result<&Vec<Value>> {
    value.as_array().context("cargo metadata: expected an array")
}

fn string(value: &Value) -> anyhow::Result<&str> {
    value.as_str().context("cargo metadata: expected a string")
}
