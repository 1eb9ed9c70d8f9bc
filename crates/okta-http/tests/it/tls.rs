//! TLS on aws-lc-rs: failures are typed errors, never a crypto-provider panic.

use std::time::Duration;

use okta_http::{HttpClient as _, HttpClientOptions, ReqwestHttpClient, TransportError};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

use crate::support::get;

fn client() -> ReqwestHttpClient {
    let mut options = HttpClientOptions::default();
    options.timeout = Duration::from_secs(5);
    ReqwestHttpClient::new(options).unwrap()
}

#[tokio::test]
async fn https_to_a_closed_loopback_port_is_a_connect_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = client().execute(get(&format!("https://127.0.0.1:{port}/v1/keys"))).await;
    assert!(matches!(err, Err(TransportError::Connect { .. })), "{err:?}");
}

#[tokio::test]
async fn the_client_says_hello_in_tls_and_a_broken_handshake_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut first = [0_u8; 3];
        socket.read_exact(&mut first).await.unwrap();
        first // dropping the socket breaks the handshake
    });
    let err = client().execute(get(&format!("https://127.0.0.1:{port}/"))).await;
    // A TLS record of type handshake (22), protocol major version 3: a ClientHello.
    assert_eq!(server.await.unwrap()[..2], [22, 3]);
    assert!(matches!(err, Err(TransportError::Connect { .. })), "{err:?}");
}

#[test]
fn installing_the_default_provider_is_idempotent() {
    okta_http::install_default_crypto_provider();
    assert!(!okta_http::install_default_crypto_provider(), "a provider is installed already");
}
