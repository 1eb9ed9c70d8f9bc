//! Tests of the proxy setting's parsers: URLs, environment lookup, `no_proxy` entries, redaction.

use crate::proxy::{PROXY_VARIABLES, Proxy, ProxyUrl, parse_no_proxy_entry, redact_text};

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

#[allow(clippy::needless_pass_by_value, reason = "expect![[...]] reads best passed by value")]
fn check_url(text: &str, expected: expect_test::Expect) {
    let shown = match ProxyUrl::parse(text) {
        Ok(url) => format!("ok {url} {url:?}"),
        Err(err) => format!("error {err}"),
    };
    expected.assert_eq(&shown);
}

#[test]
fn proxy_urls() {
    use expect_test::expect;
    check_url(
        "http://proxy.example.com:3128",
        expect![[r#"ok http://proxy.example.com:3128 ProxyUrl("http://proxy.example.com:3128")"#]],
    );
    check_url(
        "https://proxy.example.com",
        expect![[r#"ok https://proxy.example.com ProxyUrl("https://proxy.example.com")"#]],
    );
    check_url(
        "http://alice:s3cret@proxy.example.com:3128/",
        expect![[
            r#"ok http://[redacted]@proxy.example.com:3128 ProxyUrl("http://[redacted]@proxy.example.com:3128")"#
        ]],
    );
    check_url(
        "socks5://alice:s3cret@proxy:1080",
        expect![[
            r#"error "socks5://[redacted]@proxy:1080" is a SOCKS proxy, which okta-oidc does not support: use an HTTP proxy (http:// or https://)"#
        ]],
    );
    check_url(
        "ftp://proxy:21",
        expect![[
            r#"error "ftp://proxy:21" uses the scheme "ftp": a proxy URL starts with http:// or https://"#
        ]],
    );
    check_url(
        "http://alice:s3cret@proxy:3128/path?x=1",
        expect![[
            r#"error "http://[redacted]@proxy:3128/path?x=1" has a path, query or fragment: a proxy URL is scheme, host and port, such as http://proxy.example.com:3128"#
        ]],
    );
    check_url(
        "http://alice:s3cret@proxy:99999",
        expect![[
            r#"error "http://[redacted]@proxy:99999" is not a proxy URL (invalid port number)"#
        ]],
    );
    check_url(
        " http://proxy:3128",
        expect![[
            r#"error " http://proxy:3128" is not a proxy URL: remove the surrounding spaces"#
        ]],
    );
    check_url(
        "http://{proxyHost}:3128",
        expect![[
            r#"error "http://{proxyHost}:3128" still contains a placeholder: write the proxy's URL, such as http://proxy.example.com:3128"#
        ]],
    );
}

#[test]
fn credentials_are_kept_for_the_client_only() {
    let url = ProxyUrl::parse("http://alice:s3cret@proxy.example.com:3128").unwrap();
    assert!(url.has_credentials());
    assert_eq!(url.url_with_credentials().password(), Some("s3cret"));
    let proxy = Proxy::Url(url);
    for shown in [format!("{proxy}"), format!("{proxy:?}"), format!("{proxy:#?}")] {
        assert!(!shown.contains("s3cret") && !shown.contains("alice"), "{shown}");
    }
    assert!(!ProxyUrl::parse("http://proxy:3128").unwrap().has_credentials());
}

#[test]
fn none_and_unknown_values() {
    assert_eq!(
        Proxy::parse("none", &vars(&[("HTTPS_PROXY", "http://p:1")])).unwrap(),
        Proxy::Direct
    );
    let (err, variable) = Proxy::parse("corporate", &[]).unwrap_err();
    assert_eq!(variable, None);
    expect_test::expect![[r#""corporate" is not a proxy setting: use "none" (the default: direct connections), "environment" (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) or a proxy URL such as "http://proxy.example.com:3128""#]]
        .assert_eq(err.message());
    let (err, _) = Proxy::parse("bob:pw@proxy:3128", &[]).unwrap_err();
    assert!(!err.message().contains("pw"), "{err}");
}

#[test]
fn environment_lookup_order() {
    let proxy = Proxy::parse(
        "environment",
        &vars(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("ALL_PROXY", "proxy.all:3128"),
        ]),
    )
    .unwrap();
    let Proxy::Environment { http, https } = &proxy else { panic!("{proxy:?}") };
    let https = https.as_ref().unwrap();
    assert_eq!(
        (https.variable(), https.url().to_string().as_str()),
        ("HTTPS_PROXY", "http://upper:1")
    );
    // ALL_PROXY is the fallback, and a missing scheme means http:// as for curl.
    let http = http.as_ref().unwrap();
    assert_eq!(
        (http.variable(), http.url().to_string().as_str()),
        ("ALL_PROXY", "http://proxy.all:3128")
    );
    assert_eq!(
        proxy.to_string(),
        "environment (https: http://upper:1 from HTTPS_PROXY, http: http://proxy.all:3128 from ALL_PROXY)"
    );

    // Nothing set (or only empty values): direct connections.
    let empty = Proxy::parse("environment", &vars(&[("HTTPS_PROXY", " ")])).unwrap();
    assert_eq!(empty, Proxy::Environment { http: None, https: None });
    assert_eq!(empty.to_string(), "environment (https: none, http: none)");
}

#[test]
fn environment_in_cgi_ignores_upper_case_http_proxy() {
    // httpoxy: a CGI request's `Proxy:` header arrives as HTTP_PROXY.
    let variables = vars(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://attacker:1")]);
    assert_eq!(
        Proxy::parse("environment", &variables).unwrap(),
        Proxy::Environment { http: None, https: None }
    );
}

#[test]
fn a_bad_environment_value_names_its_variable_and_hides_credentials() {
    let (err, variable) =
        Proxy::parse("environment", &vars(&[("HTTPS_PROXY", "socks5h://u:hunter2@proxy:1080")]))
            .unwrap_err();
    assert_eq!(variable, Some("HTTPS_PROXY"));
    assert!(!err.message().contains("hunter2"), "{err}");
    assert!(PROXY_VARIABLES.contains(&"no_proxy"));
}

#[test]
fn no_proxy_entries() {
    for good in [
        "*",
        "localhost",
        "127.0.0.1",
        "::1",
        ".example.com",
        "example.com",
        "10.0.0.0/8",
        "fd00::/8",
        "okta_dev-1.internal",
    ] {
        assert_eq!(parse_no_proxy_entry(good).as_deref(), Ok(good), "{good}");
    }
    let bad = |entry: &str| parse_no_proxy_entry(entry).unwrap_err().message().to_owned();
    expect_test::expect![[r#""*.example.com": write .example.com instead (a leading dot matches the domain and its subdomains; * is a wildcard only on its own)"#]]
        .assert_eq(&bad("*.example.com"));
    expect_test::expect![[r#""localhost:8080": ports and brackets are not supported (an entry bypasses the proxy on every port); write a host name, a domain (.example.com matches it and its subdomains), an IP address, a CIDR range such as 10.0.0.0/8, or * for every host"#]]
        .assert_eq(&bad("localhost:8080"));
    expect_test::expect![[
        r#""10.0.0.0/33" is not a CIDR range (the prefix length must be 0 to 32)"#
    ]]
    .assert_eq(&bad("10.0.0.0/33"));
    assert!(bad("http://u:pw@internal").contains("[redacted]@internal"));
    assert!(!bad("http://u:pw@internal").contains("pw"));
    assert!(bad("exa mple").contains("not a host name"));
}

#[test]
fn redaction_of_unparsed_text() {
    assert_eq!(redact_text("http://u:p@h:1/x"), "http://[redacted]@h:1/x");
    assert_eq!(redact_text("u:p@h:1"), "[redacted]@h:1");
    assert_eq!(redact_text("http://h:1/a@b"), "http://h:1/a@b");
    assert_eq!(redact_text("http://a@b@h"), "http://[redacted]@h");
}
