//! The layering rule inside crates: files import downward only, so no files of a crate import
//! each other in a circle.
//!
//! The module tree of each target is read from its root file by following `mod` declarations,
//! as rustc does (`foo.rs` or `foo/mod.rs`; no `#[path]`). The text of each file, with comments,
//! strings and characters blanked out, is scanned for module paths: `use` trees and paths in
//! code that start with `crate::`, `super::`, `self::` or the name of a child module. A path
//! names the file of its longest prefix that is a module; a path to an item of the crate root
//! is followed through the root's `use` declarations (its re-exports) to the file that defines
//! it. A parent declaring `mod child;` does not import the child.
//!
//! Exempt, neither importing nor imported: the root file of each target (`lib.rs`, `main.rs`,
//! the index), and test modules (`tests.rs`, `foo/tests.rs`, inline `mod tests { .. }`), which
//! look at their parent from the side.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// One compilation target: a root file and the name to report it under.
#[derive(Debug)]
pub(crate) struct Target {
    /// For example `okta-verify (lib)`.
    pub(crate) label: String,
    /// `src/lib.rs`, `src/main.rs`, `tests/it/main.rs`...
    pub(crate) root: PathBuf,
    /// The package directory, to print paths relative to it.
    pub(crate) package_dir: PathBuf,
}

/// One problem sentence per circle of files, over every target.
pub(crate) fn check(targets: &[Target]) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for target in targets {
        for circle in circles(&target.root)? {
            let files: Vec<String> =
                circle.files.iter().map(|file| display(file, &target.package_dir)).collect();
            // A file tree shared by two targets (lib and bin) is reported once.
            if !seen.insert(files.clone()) {
                continue;
            }
            let walk: Vec<String> = circle
                .walk
                .iter()
                .map(|step| format!("{}:{}", display(&step.from, &target.package_dir), step.line))
                .collect();
            let first = files.first().cloned().unwrap_or_default();
            problems.push(format!(
                "{}: files import each other in a circle ({}): {} -> {first}; files import \
                 downward only (docs/architecture.md)",
                target.label,
                files.join(", "),
                walk.join(" -> "),
            ));
        }
    }
    Ok(problems)
}

/// Files that import each other in a circle (a strongly connected component of the import
/// graph with more than one file).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Circle {
    /// The files, sorted.
    pub(crate) files: Vec<PathBuf>,
    /// A closed walk through all of them, from the first file back to it.
    pub(crate) walk: Vec<Step>,
}

/// One import of a circle: `from` uses the next file of the circle at `line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) from: PathBuf,
    pub(crate) line: usize,
}

/// Every circle of files in the module tree under `root`.
pub(crate) fn circles(root: &Path) -> anyhow::Result<Vec<Circle>> {
    let tree = ModuleTree::read(root)?;
    let graph = tree.import_graph();
    Ok(strongly_connected(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|files| Circle { walk: walk(&graph, &files), files })
        .collect())
}

/// File -> (imported file -> first line importing it).
type Graph = BTreeMap<PathBuf, BTreeMap<PathBuf, usize>>;

/// A module path such as `["keys", "tests"]`; empty for the crate root.
type ModPath = Vec<String>;

/// The modules of one target and what their files refer to.
#[derive(Debug, Default)]
struct ModuleTree {
    root: PathBuf,
    /// Every module, file-backed or inline, and the file holding it.
    modules: BTreeMap<ModPath, PathBuf>,
    /// The modules that have a file of their own.
    file_modules: BTreeSet<ModPath>,
    /// Every module path a file mentions.
    references: Vec<Reference>,
    /// Each module's `use` declarations: name -> the path it stands for, as written there.
    uses: BTreeMap<ModPath, BTreeMap<String, (ModPath, PathKind)>>,
}

#[derive(Debug)]
struct Reference {
    file: PathBuf,
    /// The module of the file (inline modules not included).
    file_module: ModPath,
    line: usize,
    /// The module the path is written in (inline modules included).
    context: ModPath,
    path: PathKind,
    /// Written in a `pub use` (or `pub(crate) use`...) declaration.
    reexport: bool,
}

#[derive(Clone, Debug)]
enum PathKind {
    /// `crate::a::b`: `["a", "b"]`.
    Absolute(ModPath),
    /// `super::super::a`: 2 and `["a"]`.
    Super(usize, ModPath),
    /// `self::a` or `a::b` where `a` may be a child module of the context.
    Relative(ModPath),
}

impl ModuleTree {
    fn read(root: &Path) -> anyhow::Result<Self> {
        let mut tree = Self { root: root.to_owned(), ..Self::default() };
        let mut pending = vec![(ModPath::new(), root.to_owned(), true)];
        while let Some((module, file, owns_dir)) = pending.pop() {
            let text =
                fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            tree.modules.insert(module.clone(), file.clone());
            tree.file_modules.insert(module.clone());
            let scan = scan(&blank_comments_and_literals(&text));
            // `foo.rs` keeps its children in `foo/`; `lib.rs`, `main.rs` and `mod.rs` beside them.
            let dir = match (owns_dir, file.parent(), file.file_stem()) {
                (true, Some(parent), _) => parent.to_owned(),
                (false, Some(parent), Some(stem)) => parent.join(stem),
                _ => continue,
            };
            for inline in &scan.inline_modules {
                tree.modules.insert(concat(&module, inline), file.clone());
            }
            for (context, name) in &scan.declared {
                let child_dir = context.iter().fold(dir.clone(), |dir, part| dir.join(part));
                let flat = child_dir.join(format!("{name}.rs"));
                let nested = child_dir.join(name).join("mod.rs");
                let child = concat(&concat(&module, context), std::slice::from_ref(name));
                if flat.is_file() {
                    pending.push((child, flat, false));
                } else if nested.is_file() {
                    pending.push((child, nested, true));
                }
            }
            for found in scan.paths {
                let context = concat(&module, &found.context);
                if found.in_use {
                    let name =
                        found.alias.clone().or_else(|| found.path.segments().last().cloned());
                    if let Some(name) = name {
                        tree.uses
                            .entry(context.clone())
                            .or_default()
                            .entry(name)
                            .or_insert_with(|| (context.clone(), found.path.clone()));
                    }
                }
                tree.references.push(Reference {
                    file: file.clone(),
                    file_module: module.clone(),
                    line: found.line,
                    context,
                    path: found.path,
                    reexport: found.in_use && found.public,
                });
            }
        }
        Ok(tree)
    }

    fn import_graph(&self) -> Graph {
        let mut graph = Graph::new();
        let exempt: BTreeSet<&PathBuf> = self
            .modules
            .iter()
            .filter(|(module, file)| {
                self.file_modules.contains(*module)
                    && (**file == self.root || module.iter().any(|part| part == "tests"))
            })
            .map(|(_, file)| file)
            .collect();
        for file in self.modules.values().filter(|file| !exempt.contains(file)) {
            graph.entry(file.clone()).or_default();
        }
        for reference in &self.references {
            if exempt.contains(&reference.file)
                || reference.context.iter().any(|part| part == "tests")
            {
                continue;
            }
            let Some(absolute) = self.absolute(&reference.context, &reference.path) else {
                continue;
            };
            // A module re-exporting what its own submodules define is their index, like
            // `lib.rs`: `pub use self::user::AuthenticatedUser` in `axum.rs` is no import.
            if reference.reexport
                && absolute.len() > reference.file_module.len()
                && absolute.starts_with(&reference.file_module)
                && self.modules.contains_key(&absolute[..=reference.file_module.len()])
            {
                continue;
            }
            let Some(target) = self.file_of(&absolute, 0) else { continue };
            if target == reference.file || exempt.contains(&target) {
                continue;
            }
            let imports = graph.entry(reference.file.clone()).or_default();
            let line = imports.entry(target).or_insert(reference.line);
            *line = (*line).min(reference.line);
        }
        graph
    }

    /// The path from the crate root, if the path can name something of this crate.
    fn absolute(&self, context: &[String], path: &PathKind) -> Option<ModPath> {
        match path {
            PathKind::Absolute(path) => Some(path.clone()),
            PathKind::Super(levels, path) => {
                let keep = context.len().checked_sub(*levels)?;
                Some(concat(&context[..keep], path))
            }
            PathKind::Relative(path) => {
                let child = concat(context, &path[..1.min(path.len())]);
                (!path.is_empty() && self.modules.contains_key(&child))
                    .then(|| concat(context, path))
            }
        }
    }

    /// The file that defines what an absolute path names: the file of its longest prefix that
    /// is a module, or, when the next segment is a name that module imports (a re-export), the
    /// file that name comes from.
    fn file_of(&self, path: &[String], depth: usize) -> Option<PathBuf> {
        let len = (0..=path.len()).rev().find(|len| self.modules.contains_key(&path[..*len]))?;
        let module = &path[..len];
        let imported = path.get(len).and_then(|name| self.uses.get(module)?.get(name));
        // `use` can loop (`use a::b` in `b`), so following them is bounded.
        if let Some((context, through)) = imported.filter(|_| depth < 8) {
            let through = self.absolute(context, through)?;
            return self.file_of(&concat(&through, &path[len + 1..]), depth + 1);
        }
        self.modules.get(module).cloned()
    }
}

impl PathKind {
    fn segments(&self) -> &[String] {
        match self {
            Self::Absolute(path) | Self::Super(_, path) | Self::Relative(path) => path,
        }
    }
}

fn concat(head: &[String], tail: &[String]) -> ModPath {
    head.iter().chain(tail).cloned().collect()
}

fn display(file: &Path, base: &Path) -> String {
    file.strip_prefix(base).unwrap_or(file).display().to_string()
}

/// What one file says about modules.
#[derive(Debug, Default)]
struct Scan {
    /// `mod name;`: the inline module it is written in, and the name.
    declared: Vec<(ModPath, String)>,
    /// `mod name { .. }`: the inline module path, relative to the file's module.
    inline_modules: Vec<ModPath>,
    paths: Vec<FoundPath>,
}

#[derive(Debug)]
struct FoundPath {
    line: usize,
    context: ModPath,
    path: PathKind,
    /// Written in a `use` declaration.
    in_use: bool,
    /// Written in a `pub use` (any `pub(..)` too).
    public: bool,
    /// `use a::B as C`: `C`.
    alias: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// Finds module declarations and module paths in text whose comments and literals are blank.
fn scan(text: &str) -> Scan {
    let tokens = tokenize(text);
    let mut scan = Scan::default();
    // Inline modules we are inside: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut in_use = false;
    let mut public = false;
    let mut index = 0;
    while index < tokens.len() {
        let (token, line) = &tokens[index];
        let context = || -> ModPath { inline.iter().map(|(name, _)| name.clone()).collect() };
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|(_, inside)| *inside > depth) {
                    inline.pop();
                }
            }
            Token::Punct(';') => in_use = false,
            Token::Ident(word) if word == "use" => {
                in_use = true;
                public = follows_pub(&tokens, index);
            }
            Token::Ident(word) if word == "mod" => {
                if let Some((Token::Ident(name), _)) = tokens.get(index + 1) {
                    match tokens.get(index + 2) {
                        Some((Token::Punct(';'), _)) => {
                            scan.declared.push((context(), name.clone()));
                            index += 3;
                            continue;
                        }
                        Some((Token::Punct('{'), _)) => {
                            depth += 1;
                            inline.push((name.clone(), depth));
                            scan.inline_modules
                                .push(inline.iter().map(|(name, _)| name.clone()).collect());
                            index += 3;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Token::Ident(word) if starts_path(&tokens, index) => {
                let (trees, next) = use_tree(&tokens, index);
                let context = context();
                for (segments, alias) in trees {
                    if let Some(path) = classify(word, segments) {
                        scan.paths.push(FoundPath {
                            line: *line,
                            context: context.clone(),
                            path,
                            in_use,
                            public: in_use && public,
                            alias,
                        });
                    }
                }
                index = next;
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    scan
}

/// Whether the token at `index` follows `pub` or `pub(..)`.
fn follows_pub(tokens: &[(Token, usize)], index: usize) -> bool {
    let is_pub = |at: usize| matches!(&tokens[at].0, Token::Ident(word) if word == "pub");
    match index.checked_sub(1).map(|before| &tokens[before].0) {
        Some(Token::Ident(word)) => word == "pub",
        Some(Token::Punct(')')) => {
            let open = tokens[..index].iter().rposition(|(token, _)| *token == Token::Punct('('));
            open.and_then(|open| open.checked_sub(1)).is_some_and(is_pub)
        }
        _ => false,
    }
}

/// Whether a path starts at `index`: an identifier followed by `::` and not preceded by `::`
/// (the middle of a path) or `$` (`$crate` in macros).
fn starts_path(tokens: &[(Token, usize)], index: usize) -> bool {
    let followed = matches!(tokens.get(index + 1), Some((Token::PathSep, _)));
    let preceded = index > 0 && matches!(tokens[index - 1].0, Token::PathSep | Token::Punct('$'));
    followed && !preceded
}

/// Sorts a path by its first segment; `None` for paths that cannot name a module of the crate
/// (`std::`, `Self::`, ...): those are left as relative paths and resolved against the modules.
fn classify(first: &str, mut segments: ModPath) -> Option<PathKind> {
    match first {
        "crate" => {
            segments.remove(0);
            Some(PathKind::Absolute(segments))
        }
        "super" => {
            let levels = segments.iter().take_while(|part| *part == "super").count();
            Some(PathKind::Super(levels, segments.split_off(levels)))
        }
        "self" => {
            segments.remove(0);
            Some(PathKind::Relative(segments))
        }
        "Self" | "std" | "core" | "alloc" => None,
        _ => Some(PathKind::Relative(segments)),
    }
}

/// Reads a path or `use` tree from `index`: every leaf path (the `self` of `{self, ..}` and a
/// `*` dropped) with its `as` alias, and the index after the tree.
fn use_tree(tokens: &[(Token, usize)], index: usize) -> (Vec<(ModPath, Option<String>)>, usize) {
    let mut prefix = ModPath::new();
    let mut index = index;
    loop {
        match tokens.get(index) {
            Some((Token::Ident(word), _)) => {
                prefix.push(word.clone());
                index += 1;
                if !matches!(tokens.get(index), Some((Token::PathSep, _))) {
                    let alias = match (tokens.get(index), tokens.get(index + 1)) {
                        (Some((Token::Ident(word), _)), Some((Token::Ident(alias), _)))
                            if word == "as" =>
                        {
                            index += 2;
                            Some(alias.clone())
                        }
                        _ => None,
                    };
                    return (vec![(prefix, alias)], index);
                }
                index += 1;
            }
            Some((Token::Punct('*'), _)) => return (vec![(prefix, None)], index + 1),
            Some((Token::Punct('{'), _)) => {
                let mut leaves = Vec::new();
                index += 1;
                loop {
                    match tokens.get(index) {
                        None => return (leaves, index),
                        Some((Token::Punct('}'), _)) => return (leaves, index + 1),
                        Some((Token::Punct(','), _)) => index += 1,
                        Some(_) => {
                            let (inner, next) = use_tree(tokens, index);
                            for (path, alias) in inner {
                                // `{self, ..}` names the prefix itself.
                                let path: ModPath =
                                    path.into_iter().filter(|part| part != "self").collect();
                                leaves.push((concat(&prefix, &path), alias));
                            }
                            index = next.max(index + 1);
                        }
                    }
                }
            }
            _ => return (vec![(prefix, None)], index),
        }
    }
}

fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '\n' => line += 1,
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                tokens.push((Token::PathSep, line));
            }
            character if character == '_' || character.is_alphabetic() => {
                let mut word = String::from(character);
                while let Some(next) = chars.next_if(|next| *next == '_' || next.is_alphanumeric())
                {
                    word.push(next);
                }
                tokens.push((Token::Ident(word), line));
            }
            character if character.is_numeric() => {
                while chars.next_if(|next| *next == '_' || next.is_alphanumeric()).is_some() {}
            }
            character if character.is_whitespace() => {}
            character => tokens.push((Token::Punct(character), line)),
        }
    }
    tokens
}

/// The text with the contents of comments, string literals and character literals replaced by
/// spaces (line breaks kept, so line numbers stay right).
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, slice: &[char]| {
        for character in slice {
            out.push(if *character == '\n' { '\n' } else { ' ' });
        }
    };
    let mut index = 0;
    while index < chars.len() {
        let rest = &chars[index..];
        let at_word_start = index == 0 || !is_ident_char(chars[index - 1]);
        let end = if rest.starts_with(&['/', '/']) {
            rest.iter().position(|character| *character == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            block_comment_len(rest)
        } else if rest[0] == '"' {
            string_len(rest)
        } else if at_word_start && let Some(len) = raw_string_len(rest) {
            len
        } else if rest[0] == '\'' {
            char_literal_len(rest).unwrap_or(0)
        } else {
            0
        };
        if end == 0 {
            out.push(rest[0]);
            index += 1;
        } else {
            blank(&mut out, &rest[..end]);
            index += end;
        }
    }
    out
}

fn is_ident_char(character: char) -> bool {
    character == '_' || character.is_alphanumeric()
}

/// `/* .. */`, nested, from its start.
fn block_comment_len(text: &[char]) -> usize {
    let mut depth = 0;
    let mut index = 0;
    while index < text.len() {
        if text[index..].starts_with(&['/', '*']) {
            depth += 1;
            index += 2;
        } else if text[index..].starts_with(&['*', '/']) {
            depth -= 1;
            index += 2;
            if depth == 0 {
                return index;
            }
        } else {
            index += 1;
        }
    }
    text.len()
}

/// `".."` with backslash escapes, from its opening quote.
fn string_len(text: &[char]) -> usize {
    let mut index = 1;
    while index < text.len() {
        match text[index] {
            '\\' => index += 2,
            '"' => return index + 1,
            _ => index += 1,
        }
    }
    text.len()
}

/// `r".."`, `r#".."#`, `br#".."#`, `cr".."`: the length, if a raw string starts here.
fn raw_string_len(text: &[char]) -> Option<usize> {
    let prefix = match text {
        ['r', ..] => 1,
        ['b' | 'c', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = text[prefix..].iter().take_while(|character| **character == '#').count();
    if text.get(prefix + hashes) != Some(&'"') {
        return None;
    }
    let body = prefix + hashes + 1;
    let closing: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
    let end = (body..text.len()).find(|index| text[*index..].starts_with(&closing));
    Some(end.map_or(text.len(), |end| end + closing.len()))
}

/// `'a'`, `'\n'`, `'\u{1F600}'`, `'\''`: the length; `None` for a lifetime (`'a`).
fn char_literal_len(text: &[char]) -> Option<usize> {
    match text {
        ['\'', '\\', ..] => {
            let close = text[3..].iter().position(|character| *character == '\'')?;
            Some(close + 4)
        }
        ['\'', _, '\'', ..] => Some(3),
        _ => None,
    }
}

/// Tarjan's algorithm: the strongly connected components of the graph.
fn strongly_connected(graph: &Graph) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a Graph,
        next_index: usize,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        components: Vec<Vec<PathBuf>>,
    }

    fn visit<'a>(state: &mut State<'a>, node: &'a PathBuf) {
        state.index.insert(node, state.next_index);
        state.low.insert(node, state.next_index);
        state.next_index += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            component.sort();
            state.components.push(component);
        }
    }

    let mut state = State {
        graph,
        next_index: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.components.sort();
    state.components
}

/// A closed walk from the component's first file through every file of it and back, each step
/// the shortest way to the next file not yet visited.
fn walk(graph: &Graph, component: &[PathBuf]) -> Vec<Step> {
    let members: BTreeSet<&PathBuf> = component.iter().collect();
    let mut steps = Vec::new();
    let mut unvisited: BTreeSet<&PathBuf> = members.clone();
    let Some(start) = component.first() else { return steps };
    let mut current = start;
    unvisited.remove(current);
    loop {
        let path = if unvisited.is_empty() {
            shortest_path(graph, &members, current, &|node: &PathBuf| node == start)
        } else {
            shortest_path(graph, &members, current, &|node: &PathBuf| unvisited.contains(node))
        };
        let Some(path) = path else { return steps };
        for pair in path.windows(2) {
            let line = graph[pair[0]][pair[1]];
            steps.push(Step { from: pair[0].clone(), line });
            unvisited.remove(pair[1]);
        }
        let Some(last) = path.last() else { return steps };
        current = last;
        if current == start {
            return steps;
        }
    }
}

/// Breadth-first search inside the component, from `from` (excluded as a goal) to a goal.
fn shortest_path<'a>(
    graph: &'a Graph,
    members: &BTreeSet<&'a PathBuf>,
    from: &'a PathBuf,
    goal: &dyn Fn(&PathBuf) -> bool,
) -> Option<Vec<&'a PathBuf>> {
    let mut previous: BTreeMap<&PathBuf, &PathBuf> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if !members.contains(next) || previous.contains_key(next) {
                continue;
            }
            previous.insert(next, node);
            if goal(next) {
                let mut path = vec![next];
                let mut at = next;
                while let Some(back) = previous.get(at) {
                    path.push(back);
                    if *back == from {
                        break;
                    }
                    at = back;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(next);
        }
    }
    None
}

#[cfg(test)]
mod tests;
