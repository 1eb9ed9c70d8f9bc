//! Managed Redis services require TLS and a password: `rediss://` URLs connect over rustls (on
//! aws-lc-rs) to a real `redis-server` that speaks only TLS, with a server certificate signed by
//! a local CA made by the test and `requirepass`. The server's certificate is verified against
//! `session.redis_ca_file` (the system's roots without it), and the URL's password reaches no
//! log line, `Debug` output or error. And a Redis Cluster keeps the store's guarantees on every
//! node.

use std::collections::HashMap;

use okta_config::{Role, Settings};
use okta_flow::axum::{CSRF_FIELD, RedisConnectError, redis_store, redis_store_from_settings};
use okta_flow::upstream::tower_sessions::cookie::time::{Duration, OffsetDateTime};
use okta_flow::upstream::tower_sessions::session::{Id, Record};
use okta_flow::upstream::tower_sessions::session_store::SessionStore as _;

use crate::redis_servers::{
    RedisCluster, SentinelRedis, SharedRedis as _, TlsRedisServer, local_ca,
};
use crate::replicas::{Browser, Replica, location, sign_in};
use crate::secrets::{captured, start_capture};

/// The password of the test's Redis: long and unusual, so that a search for it cannot miss.
const PASSWORD: &str = "Pw-for-Redis-7c1f0e-never-in-a-log";

fn settings(issuer: &str, redis: &TlsRedisServer, password: &str, ca: Option<&str>) -> Settings {
    let mut loader = crate::harness::settings_for(issuer)
        .set("cookie_secret", "0GU7b5IS+KNmMe8D2BzY74/tn+o1rEYKtrK+rzX16Wc=")
        .set("session.redis_url", format!("rediss://:{password}@127.0.0.1:{}", redis.port()));
    if let Some(ca) = ca {
        loader = loader.set("session.redis_ca_file", ca);
    }
    loader.role(Role::Client).load().expect("valid settings")
}

/// Two replicas share sessions over TLS with a password: a sign-in on one works on the other,
/// and a sign-out on the other ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn two_replicas_share_sessions_over_rediss_with_a_password_and_the_ca_of_the_settings() {
    let redis = TlsRedisServer::start(PASSWORD);
    let server = okta_devserver::DevServer::builder().start().await.expect("devserver");
    let ca = redis.ca_file().display().to_string();
    let settings = settings(&server.issuer("default"), &redis, PASSWORD, Some(&ca));
    let connect = || async {
        redis_store_from_settings(settings.session(), 2).await.expect("Redis over TLS connects")
    };
    let replica_a = Replica::with_store(&settings, connect().await).await;
    let replica_b = Replica::with_store(&settings, connect().await).await;
    let mut browser = Browser::new();
    sign_in(&server, &mut browser, &replica_a).await;
    assert_eq!(redis.cli(&["DBSIZE"]).trim(), "2", "the session and the used-login marker");
    let on_a = browser.profile(&replica_a).await;
    let on_b = browser.profile(&replica_b).await;
    assert_eq!(on_a["sub"], on_b["sub"]);

    let csrf = on_b["csrf"].as_str().expect("a CSRF token");
    let logout = browser.post_form(&replica_b, "/logout", &format!("{CSRF_FIELD}={csrf}")).await;
    assert_eq!(logout.status(), 303);
    assert_eq!(redis.cli(&["DBSIZE"]).trim(), "1", "the session is deleted over TLS");
    let after = browser.get(&replica_a, "/profile").await;
    assert_eq!(location(&after), "/login?return_to=%2Fprofile");
}

/// A wrong CA, the system's roots (which do not hold the local CA) and a wrong password each
/// fail with their own typed error; the password is in none of them, in no `Debug` output and
/// in no log line, fred's own (`log`) records included.
#[tokio::test]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn a_wrong_ca_or_password_is_a_clear_error_and_the_password_is_never_shown() {
    start_capture();
    let redis = TlsRedisServer::start(PASSWORD);
    let issuer = "http://127.0.0.1:9/oauth2/default";
    let ca = redis.ca_file().display().to_string();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, local_ca("another CA").0).expect("write the other CA");
    let mut outputs = Vec::new();

    // The right CA and password: a session round trip, with everything logged at TRACE.
    let good = settings(issuer, &redis, PASSWORD, Some(&ca));
    let store = redis_store_from_settings(good.session(), 1).await.expect("connects");
    let mut record = Record {
        id: Id::default(),
        data: HashMap::from([("n".to_owned(), serde_json::json!(1))]),
        expiry_date: OffsetDateTime::now_utc() + Duration::minutes(5),
    };
    store.create(&mut record).await.expect("create over TLS");
    let loaded = store.load(&record.id).await.expect("load over TLS").expect("the session");
    assert_eq!(loaded.data, record.data);
    store.delete(&record.id).await.expect("delete over TLS");
    store.save(&record).await.expect("a write to a deleted session is dropped");
    assert!(store.load(&record.id).await.expect("load").is_none(), "SET XX did not revive it");
    outputs.push(format!("{store:?} {:?} {}", good.session(), good.session().redis_url().unwrap()));

    // Another CA in the settings.
    let wrong_ca = settings(issuer, &redis, PASSWORD, Some(&other_ca.display().to_string()));
    let err = redis_store_from_settings(wrong_ca.session(), 1).await.expect_err("untrusted");
    assert!(matches!(err, RedisConnectError::UntrustedCertificate(_)), "{err:?}");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    assert!(err.to_string().contains("session.redis_ca_file"), "says the fix: {err}");
    outputs.push(format!("{err} {err:?}"));

    // No CA in the settings: the system's roots, which do not hold the local CA.
    let url = format!("rediss://:{PASSWORD}@127.0.0.1:{}", redis.port());
    let err = redis_store(&url, 1).await.expect_err("not a public CA");
    assert!(matches!(err, RedisConnectError::UntrustedCertificate(_)), "{err:?}");
    outputs.push(format!("{err} {err:?}"));

    // The right CA, a wrong password (itself a secret).
    let wrong_password = "Wrong-pw-for-Redis-3b9d-never-shown";
    let bad = settings(issuer, &redis, wrong_password, Some(&ca));
    let err = redis_store_from_settings(bad.session(), 1).await.expect_err("wrong password");
    assert!(matches!(err, RedisConnectError::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("WRONGPASS"), "Redis's reason: {err}");
    outputs.push(format!("{err} {err:?}"));

    // Plain `redis://` to the TLS-only server: no answer in time, not a hang.
    let plain = format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port());
    let err = redis_store(&plain, 1).await.expect_err("the server speaks TLS only");
    outputs.push(format!("{err} {err:?}"));

    let logs = captured();
    assert!(logs.contains("connecting to Redis"), "the capture holds our events:\n{logs}");
    assert!(logs.contains("fred::"), "the capture holds fred's log records:\n{logs}");
    let outputs = outputs.join("\n");
    for secret in [PASSWORD, wrong_password] {
        assert!(!logs.contains(secret), "the password reached the logs:\n{logs}");
        assert!(!outputs.contains(secret), "the password reached an error or Debug: {outputs}");
    }
}

/// Sessions spread over every primary of a Redis Cluster (each key in its own slot), and each
/// keeps the store's guarantees on whichever node holds it: `create` never overwrites (`SET NX`,
/// which the single-use markers and the refresh lock rely on), and a write after a delete does
/// not bring the session back (`SET XX`). Every operation is on one key, so no hash tags are
/// needed.
#[tokio::test]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn sessions_on_every_node_of_a_cluster_keep_set_nx_and_set_xx() {
    let cluster = RedisCluster::start();
    let store = redis_store(&cluster.url(), 2).await.expect("the cluster connects");
    sessions_spread_and_keep_set_nx_and_set_xx(&cluster, &store).await;
}

/// The same on a cluster that speaks only TLS and requires a password (`rediss-cluster://`),
/// its nodes' certificates verified against `session.redis_ca_file`: the nodes the client
/// discovers (`CLUSTER SLOTS` gives `127.0.0.1` and their TLS ports) are verified too.
#[tokio::test]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn a_tls_cluster_with_a_password_keeps_sessions_on_every_node() {
    let cluster = RedisCluster::start_tls(PASSWORD);
    let settings = crate::harness::settings_for("http://127.0.0.1:9/oauth2/default")
        .set("session.redis_url", cluster.url())
        .set("session.redis_ca_file", cluster.ca_file().display().to_string())
        .role(Role::Client)
        .load()
        .expect("valid settings");
    let store = redis_store_from_settings(settings.session(), 2).await.expect("connects");
    sessions_spread_and_keep_set_nx_and_set_xx(&cluster, &store).await;
    let err = redis_store(&cluster.url(), 1).await.expect_err("the system roots do not hold it");
    assert!(matches!(err, RedisConnectError::UntrustedCertificate(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD));
}

async fn sessions_spread_and_keep_set_nx_and_set_xx(
    cluster: &RedisCluster,
    store: &okta_flow::axum::RedisSessionStore,
) {
    let expiry_date = OffsetDateTime::now_utc() + Duration::minutes(5);
    let mut records = Vec::new();
    for n in 0..64 {
        let mut record = Record {
            id: Id::default(),
            data: HashMap::from([("n".to_owned(), serde_json::json!(n))]),
            expiry_date,
        };
        store.create(&mut record).await.expect("create");
        records.push(record);
    }
    // 64 random slots miss one of three nodes with a probability of 3 × (2/3)^64, about 1e-11.
    let sizes = cluster.dbsizes();
    assert!(sizes.iter().all(|&size| size > 0), "keys on every primary: {sizes:?}");
    assert_eq!(sizes.iter().sum::<u64>(), 64);

    // `create` with an id in use keeps the stored record and moves the new one.
    let mut taken = records[0].clone();
    taken.data.insert("n".to_owned(), serde_json::json!("intruder"));
    store.create(&mut taken).await.expect("create");
    assert_ne!(taken.id, records[0].id, "SET NX: the id in use is not overwritten");
    let kept = store.load(&records[0].id).await.expect("load").expect("still there");
    assert_eq!(kept.data["n"], 0);
    store.delete(&taken.id).await.expect("delete");

    for record in records.iter().step_by(2) {
        store.delete(&record.id).await.expect("delete");
    }
    for record in &mut records {
        record.data.insert("late".to_owned(), serde_json::json!(true));
        store.save(record).await.expect("save");
    }
    for (n, record) in records.iter().enumerate() {
        let loaded = store.load(&record.id).await.expect("load");
        if n % 2 == 0 {
            assert!(loaded.is_none(), "SET XX: a deleted session stays deleted ({n})");
        } else {
            assert_eq!(loaded.expect("kept").data["late"], true, "updated in place ({n})");
        }
    }
    assert_eq!(cluster.dbsize(), 32);
}

/// Behind a sentinel, the store follows a failover: a session written before it is read from
/// the promoted replica after it, and new sessions are written there.
#[tokio::test]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn behind_a_sentinel_sessions_survive_a_failover() {
    let redis = SentinelRedis::start();
    let store = redis_store(&redis.url(), 1).await.expect("the sentinel names the primary");
    let expiry_date = OffsetDateTime::now_utc() + Duration::minutes(5);
    let mut before = Record {
        id: Id::default(),
        data: HashMap::from([("n".to_owned(), serde_json::json!(1))]),
        expiry_date,
    };
    store.create(&mut before).await.expect("create on the first primary");
    redis.wait_for_replica_keys(1);

    redis.fail_over();
    // The client reconnects through the sentinel; commands in flight then are retried, and a
    // command may fail while it does: the loop is bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let loaded = loop {
        match store.load(&before.id).await {
            Ok(Some(record)) => break record,
            other => assert!(
                std::time::Instant::now() < deadline,
                "the session was not readable after the failover within 20 s: {other:?}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(loaded.data, before.data);
    let mut after = Record { id: Id::default(), data: HashMap::new(), expiry_date };
    store.create(&mut after).await.expect("create on the new primary");
    assert_eq!(redis.dbsize(), 2, "both sessions on the new primary");
}
