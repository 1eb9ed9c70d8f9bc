//! Starting, binding and stopping.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use okta_devserver::DevServer;

/// Whether something accepts connections at `addr`, polled for up to 2 s until it does not.
fn stops_listening(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[tokio::test]
async fn dropping_the_server_closes_the_listener() {
    let server = DevServer::builder().start().await.unwrap();
    let addr = server.addr();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok());
    drop(server);
    let closed = tokio::task::spawn_blocking(move || stops_listening(addr)).await.unwrap();
    assert!(closed, "still listening after drop");
}

#[tokio::test]
async fn shutdown_waits_for_the_serving_task() {
    let server = DevServer::builder().start().await.unwrap();
    let addr = server.addr();
    // An open keep-alive connection must not keep the server up.
    let http = crate::client();
    assert!(
        http.get(format!("{}/.well-known/openid-configuration", server.base_url()))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown finishes");
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[tokio::test]
async fn the_server_binds_the_address_it_is_given() {
    // Find a free port, release it, and bind the server there (retrying if another test took it).
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Ok(server) = DevServer::builder().bind(addr).start().await {
            assert_eq!(server.addr(), addr);
            assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
            return;
        }
    }
    panic!("no free port could be bound in 5 tries");
}
