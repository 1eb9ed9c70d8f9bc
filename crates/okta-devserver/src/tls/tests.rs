//! Tests of TLS mode: the kept CA and server certificate, their file modes, reuse between runs,
//! and HTTPS requests that trust the CA.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::*;
use crate::DevServer;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A reqwest client that trusts `ca_pem` only.
fn client_trusting(ca_pem: &str) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn the_directory_keeps_the_ca_and_the_server_certificate_with_private_keys_0600() {
    let directory = tempfile::tempdir().unwrap();
    let tls_dir = directory.path().join("tls");
    let config = TlsConfig::in_directory(&tls_dir);
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let first = TlsMaterial::load_or_create(&config, loopback).unwrap();
    assert_eq!(first.ca_path.as_deref(), Some(tls_dir.join("ca.pem").as_path()));
    assert_eq!(read(&tls_dir.join("ca.pem")), first.ca_pem);
    assert!(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |name: &str| {
            std::fs::metadata(tls_dir.join(name)).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode("ca-key.pem"), 0o600);
        assert_eq!(mode("server-key.pem"), 0o600);
        assert_eq!(mode("ca.pem"), 0o644);
        assert_eq!(std::fs::metadata(&tls_dir).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let server_pem = read(&tls_dir.join("server.pem"));
    assert_eq!(
        read(&tls_dir.join("server.txt")).lines().next(),
        Some("localhost 127.0.0.1 ::1"),
        "the names the certificate was issued for"
    );

    // A second run reuses both.
    let second = TlsMaterial::load_or_create(&config, loopback).unwrap();
    assert_eq!(second.ca_pem, first.ca_pem);
    assert_eq!(read(&tls_dir.join("server.pem")), server_pem);

    // Another address: the same CA issues a new server certificate.
    let other =
        TlsMaterial::load_or_create(&config, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))).unwrap();
    assert_eq!(other.ca_pem, first.ca_pem);
    assert_ne!(read(&tls_dir.join("server.pem")), server_pem);
    assert!(read(&tls_dir.join("server.txt")).starts_with("localhost 127.0.0.1 ::1 127.0.0.2\n"));
}

#[test]
fn a_damaged_key_file_is_reported_not_replaced() {
    let directory = tempfile::tempdir().unwrap();
    let config = TlsConfig::in_directory(directory.path());
    TlsMaterial::load_or_create(&config, IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    std::fs::write(directory.path().join("ca-key.pem"), "not a key").unwrap();
    let error = TlsMaterial::load_or_create(&config, IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap_err();
    assert!(matches!(&error, TlsError::Unreadable { path } if path.ends_with("ca-key.pem")));
    assert_eq!(read(&directory.path().join("ca-key.pem")), "not a key");
}

#[tokio::test]
async fn an_https_server_answers_clients_that_trust_its_ca_only() {
    let directory = tempfile::tempdir().unwrap();
    let server =
        DevServer::builder().tls(TlsConfig::in_directory(directory.path())).start().await.unwrap();
    let base = server.base_url().to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    assert_eq!(server.issuer("default"), format!("{base}/oauth2/default"));
    let ca = server.ca_certificate_pem().unwrap().to_owned();
    assert_eq!(server.ca_certificate_path(), Some(directory.path().join("ca.pem").as_path()));

    let client = client_trusting(&ca);
    let document: serde_json::Value = client
        .get(format!("{base}/oauth2/default/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["issuer"], format!("{base}/oauth2/default"));
    assert_eq!(document["token_endpoint"], format!("{base}/oauth2/default/v1/token"));
    let by_name = base.replace("127.0.0.1", "localhost");
    let reply = client.get(format!("{by_name}/oauth2/default/v1/keys")).send().await.unwrap();
    assert_eq!(reply.status(), 200, "the certificate names localhost too");

    // A client with another CA refuses the server; plain HTTP gets no answer.
    let stranger =
        TlsMaterial::load_or_create(&TlsConfig::ephemeral(), IpAddr::V4(Ipv4Addr::LOCALHOST))
            .unwrap();
    let refused = client_trusting(&stranger.ca_pem)
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await;
    assert!(refused.is_err(), "an unknown CA is refused");
    let plain = client_trusting(&ca)
        .get(format!("{}/.well-known/openid-configuration", base.replace("https", "http")))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|reply| !reply.status().is_success()));

    // A restart with the same directory keeps the CA, so a client trusts it once.
    drop(server);
    let again =
        DevServer::builder().tls(TlsConfig::in_directory(directory.path())).start().await.unwrap();
    assert_eq!(again.ca_certificate_pem(), Some(ca.as_str()));
    let reply = client.get(format!("{}/oauth2/v1/keys", again.base_url())).send().await.unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn ephemeral_tls_keeps_nothing_on_disk_and_plain_servers_have_no_ca() {
    let server = DevServer::builder().tls(TlsConfig::ephemeral()).start().await.unwrap();
    assert!(server.ca_certificate_pem().is_some());
    assert!(server.ca_certificate_path().is_none());
    let client = client_trusting(server.ca_certificate_pem().unwrap());
    let reply =
        client.get(format!("{}/.well-known/openid-configuration", server.base_url())).send().await;
    assert_eq!(reply.unwrap().status(), 200);
    let plain = DevServer::builder().start().await.unwrap();
    assert!(plain.ca_certificate_pem().is_none() && plain.base_url().starts_with("http://"));
}
