//! The markdown check on a throw-away repository: what it accepts and what it reports.

use std::fs;

use crate::tidy::links::check_markdown_links;

#[test]
fn links_and_paths_outside_the_repository_are_reported() {
    let base = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
    let root = base.join("repo");
    fs::create_dir_all(root.join("docs/guides")).unwrap();
    fs::write(root.join("docs/other.md"), "# Other\n").unwrap();
    fs::write(
        root.join("docs/guides/good.md"),
        "See [the other page](../other.md#top), [a section](#here), [Okta](https://developer.okta.com/docs/) \
         and `crates/okta-verify/src/jwks.rs`.\n\
         [ref]: ../other.md\n\
         ```sh\ncd ../..\n```\n",
    )
    .unwrap();
    let machine = format!("Generated in {}/docs.\n", root.display());
    fs::write(
        root.join("docs/bad.md"),
        format!(
            "The style is in `../shared/STYLE.md` and [the catalog](../../shared/security-catalog.md).\n\
             [Notes](/work/shared/okta-facts.md), [a file](file:///etc/passwd) and [gone](missing.md).\n\
             [shared]: ../../shared\n\
             {machine}"
        ),
    )
    .unwrap();

    let problems = check_markdown_links(&root).unwrap();
    fs::remove_dir_all(&base).unwrap();
    let root_shown = format!("{}/", root.display());
    assert_eq!(
        problems,
        [
            "docs/bad.md:1: link `../../shared/security-catalog.md` points outside the repository: write what the reader needs into docs/".to_owned(),
            "docs/bad.md:1: `../shared/STYLE.md` points outside the repository".to_owned(),
            "docs/bad.md:2: link `/work/shared/okta-facts.md` is an absolute path: link inside the repository, or to a public web page".to_owned(),
            "docs/bad.md:2: link `file:///etc/passwd` is an absolute path: link inside the repository, or to a public web page".to_owned(),
            "docs/bad.md:2: link `missing.md` names a file that does not exist".to_owned(),
            "docs/bad.md:3: link `../../shared` points outside the repository: write what the reader needs into docs/".to_owned(),
            format!("docs/bad.md:4: names a path of this machine ({root_shown})"),
        ]
    );
}

#[test]
fn a_checkout_in_a_temporary_directory_may_name_other_temporary_files() {
    let root = std::env::temp_dir().join(format!("xtask-links-tmp-{}", std::process::id()));
    fs::create_dir_all(root.join("docs")).unwrap();
    let temp = std::env::temp_dir().join("tokens.json");
    fs::write(
        root.join("docs/example.md"),
        format!(
            "Save the answer to {} first.\nThis page lives in {}/docs.\n",
            temp.display(),
            root.display()
        ),
    )
    .unwrap();

    let problems = check_markdown_links(&root).unwrap();
    fs::remove_dir_all(&root).unwrap();
    // The checkout's own path is still reported; the temporary directory that holds it is not.
    assert_eq!(
        problems,
        [format!("docs/example.md:2: names a path of this machine ({}/)", root.display())]
    );
}
