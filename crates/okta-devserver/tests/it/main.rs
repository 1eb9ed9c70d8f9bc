//! Integration tests of okta-devserver over real loopback sockets: the flow a browser and a
//! client drive, the server's life cycle, and the binary.

mod binary;
mod device;
mod flow;
mod lifecycle;
mod service;
mod settings;

use std::time::Duration;

/// A client that never follows redirects (the flow depends on seeing each 302) and never hangs.
fn client() -> reqwest::Client {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client")
}

/// The hidden `tx` field of the sign-in page.
fn transaction(page: &str) -> String {
    let marker = r#"name="tx" value=""#;
    let start = page.find(marker).expect("a tx field") + marker.len();
    page[start..].split('"').next().expect("a closing quote").to_owned()
}

/// A query parameter of a URL.
fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).expect("an absolute URL");
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}
