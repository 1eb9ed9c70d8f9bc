//! Tests of the file-circle check on small fake crates.

use super::*;

/// A fake crate in a fresh temporary directory, removed on drop.
struct FakeCrate {
    dir: PathBuf,
}

impl FakeCrate {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-layers-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        Self { dir }
    }

    fn circles(&self) -> Vec<Vec<String>> {
        circles(&self.dir.join("src/lib.rs"))
            .unwrap()
            .into_iter()
            .map(|circle| circle.files.iter().map(|file| display(file, &self.dir)).collect())
            .collect()
    }

    fn problems(&self) -> Vec<String> {
        let target = Target {
            label: "demo (lib)".to_owned(),
            root: self.dir.join("src/lib.rs"),
            package_dir: self.dir.clone(),
        };
        check(&[target]).unwrap()
    }
}

impl Drop for FakeCrate {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const LIB: &str =
    "//! Index.\nmod handler;\nmod router;\nmod state;\npub use crate::state::Shared;\n";

#[test]
fn a_crate_importing_downward_only_passes() {
    let fake = FakeCrate::new(
        "downward",
        &[
            ("src/lib.rs", LIB),
            ("src/router.rs", "use crate::handler::handle;\nuse crate::state::Shared;\n"),
            (
                "src/handler.rs",
                "use crate::state::Shared;\npub fn handle(_: &Shared) {}\n\
                 #[cfg(test)]\nmod tests {\n    use crate::router;\n}\n",
            ),
            (
                "src/state.rs",
                "//! Mentions crate::router in a comment.\nconst S: &str = \"crate::handler::x\";\n\
                 pub struct Shared;\n#[cfg(test)]\nmod tests;\n",
            ),
            // Test files look at everything from the side.
            ("src/state/tests.rs", "use super::*;\nuse crate::router;\nuse crate::handler;\n"),
        ],
    );
    assert_eq!(fake.circles(), Vec::<Vec<String>>::new());
    assert_eq!(fake.problems(), Vec::<String>::new());
}

#[test]
fn handlers_and_router_importing_each_other_are_a_circle() {
    let fake = FakeCrate::new(
        "circle",
        &[
            ("src/lib.rs", LIB),
            (
                "src/router.rs",
                "use crate::{handler, state::Shared};\nfn r() { handler::handle(); }\n",
            ),
            ("src/handler.rs", "//! Handlers.\n\nfn handle(shared: &crate::router::Server) {}\n"),
            ("src/state.rs", "pub struct Shared;\n"),
        ],
    );
    assert_eq!(fake.circles(), [["src/handler.rs", "src/router.rs"]]);
    assert_eq!(
        fake.problems(),
        ["demo (lib): files import each other in a circle (src/handler.rs, src/router.rs): \
          src/handler.rs:3 -> src/router.rs:1 -> src/handler.rs; files import downward only \
          (docs/architecture.md)"]
    );
}

#[test]
fn a_path_through_a_root_re_export_is_an_import_of_the_defining_file() {
    let fake = FakeCrate::new(
        "reexport",
        &[
            ("src/lib.rs", LIB),
            ("src/router.rs", "pub struct Router;\n"),
            ("src/handler.rs", "pub fn handle() {}\n"),
            // `crate::Shared` is `state::Shared`; state uses the handler, the handler the state.
            ("src/state.rs", "pub struct Shared;\nfn f() { crate::handler::handle() }\n"),
        ],
    );
    assert_eq!(fake.circles(), Vec::<Vec<String>>::new());
    fs::write(fake.dir.join("src/handler.rs"), "pub fn handle(_: crate::Shared) {}\n").unwrap();
    assert_eq!(fake.circles(), [["src/handler.rs", "src/state.rs"]]);
}

#[test]
fn super_and_child_paths_count_and_parents_declaring_children_do_not() {
    let fake = FakeCrate::new(
        "nested",
        &[
            ("src/lib.rs", "mod outer;\n"),
            ("src/outer.rs", "mod inner;\npub struct Thing;\n"),
            ("src/outer/inner.rs", "use super::Thing;\n"),
        ],
    );
    assert_eq!(fake.circles(), Vec::<Vec<String>>::new(), "declaring `mod inner` is no import");
    fs::write(
        fake.dir.join("src/outer.rs"),
        "mod inner;\npub struct Thing;\nfn f() { inner::g() }\n",
    )
    .unwrap();
    // Paths sort by component: `outer/inner.rs` before `outer.rs`.
    assert_eq!(fake.circles(), [["src/outer/inner.rs", "src/outer.rs"]]);
}

#[test]
fn a_module_re_exporting_its_submodules_is_their_index() {
    let fake = FakeCrate::new(
        "index",
        &[
            ("src/lib.rs", "mod web;\n"),
            (
                "src/web.rs",
                "mod auth;\nmod routes;\npub use self::auth::Auth;\npub(crate) use routes::router;\n",
            ),
            ("src/web/auth.rs", "pub struct Auth;\n"),
            // `crate::web::Auth` is `auth.rs`'s: the routes import it, not their parent.
            ("src/web/routes.rs", "use crate::web::Auth;\npub fn router(_: Auth) {}\n"),
        ],
    );
    assert_eq!(fake.circles(), Vec::<Vec<String>>::new());
    fs::write(
        fake.dir.join("src/web.rs"),
        "mod auth;\nmod routes;\npub use self::auth::Auth;\npub struct Layer;\n\
         fn f() { routes::router(Auth) }\n",
    )
    .unwrap();
    fs::write(fake.dir.join("src/web/routes.rs"), "pub fn router(_: crate::web::Layer) {}\n")
        .unwrap();
    assert_eq!(fake.circles(), [["src/web/routes.rs", "src/web.rs"]], "code, not an index line");
}

#[test]
fn a_circle_through_three_files_is_walked_through_all_of_them() {
    let fake = FakeCrate::new(
        "three",
        &[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::B;\n"),
            ("src/b.rs", "\nuse crate::c::{self, C};\n"),
            ("src/c.rs", "\n\nuse crate::a::*;\n"),
        ],
    );
    let circles = circles(&fake.dir.join("src/lib.rs")).unwrap();
    assert_eq!(circles.len(), 1);
    let walk: Vec<(String, usize)> =
        circles[0].walk.iter().map(|step| (display(&step.from, &fake.dir), step.line)).collect();
    assert_eq!(
        walk,
        [("src/a.rs".to_owned(), 1), ("src/b.rs".to_owned(), 2), ("src/c.rs".to_owned(), 3)]
    );
}

#[test]
fn comments_and_literals_are_blanked_and_lifetimes_kept() {
    let text = "a /* b /* nested */ c */ d // e\nf \"g\\\"h\" 'i' '\\'' r#\"j\"# k<'l> br\"m\" n";
    let blanked = blank_comments_and_literals(text);
    let words: Vec<&str> = blanked.split_whitespace().collect();
    assert_eq!(words, ["a", "d", "f", "k<'l>", "n"]);
    assert_eq!(blanked.lines().count(), 2);
}
