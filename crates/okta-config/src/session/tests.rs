//! Session keys and Redis URLs: what parses, what is refused, and that no secret is shown.

use crate::{RedisTopology, RedisUrl, SessionKey};

#[test]
fn session_keys_are_base64_of_32_bytes_or_more_and_never_shown() {
    let key = SessionKey::from_base64("q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=").unwrap();
    assert_eq!(key.secret().len(), 32);
    assert_eq!(format!("{key:?}"), "SessionKey([redacted])");
    let short = SessionKey::from_base64("c2hvcnQ=").unwrap_err();
    assert!(short.message().contains("5 bytes long"), "{short}");
    let garbage = SessionKey::from_base64("not base64!").unwrap_err();
    assert!(!garbage.message().contains("not base64!"), "{garbage}");
}

#[test]
fn redis_urls_of_every_topology_parse() {
    let cases = [
        ("redis://127.0.0.1:6379", RedisTopology::Single, false),
        ("rediss://:pw@cache.example.com:6380/2", RedisTopology::Single, true),
        ("redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001", RedisTopology::Cluster, false),
        ("rediss-cluster://user:pw@cache.example.com:7000", RedisTopology::Cluster, true),
        (
            "redis-sentinel://127.0.0.1:26379?sentinelServiceName=sessions",
            RedisTopology::Sentinel,
            false,
        ),
        (
            "rediss-sentinel://:pw@s1.example.com:26379?sentinelServiceName=m&node=s2.example.com:26379",
            RedisTopology::Sentinel,
            true,
        ),
    ];
    for (text, topology, tls) in cases {
        let url = RedisUrl::parse(text).unwrap();
        assert_eq!((url.topology(), url.uses_tls()), (topology, tls), "{text}");
        assert_eq!(url.url_with_credentials().as_str().trim_end_matches('/'), text);
    }
}

#[test]
fn redis_urls_never_show_their_password() {
    let url = RedisUrl::parse(
        "rediss-sentinel://user:hunter2@s1.example.com:26379/1?sentinelServiceName=m&sentinelPassword=swordfish",
    )
    .unwrap();
    for shown in [url.to_string(), format!("{url:?}")] {
        assert!(!shown.contains("hunter2") && !shown.contains("swordfish"), "{shown}");
        assert!(!shown.contains("user"), "{shown}");
    }
    assert_eq!(
        url.to_string(),
        "rediss-sentinel://[redacted]@s1.example.com:26379/1?sentinelServiceName=m&sentinelPassword=[redacted]"
    );
    assert_eq!(url.password(), Some("hunter2"));

    for bad in [
        "http://:hunter2@cache.example.com",
        " redis://:hunter2@cache.example.com",
        "redis://:hunter2@",
        "redis-sentinel://:hunter2@s1.example.com:26379",
        "redis://:hunter2@cache.example.com:6379#frag",
        "redis-sentinel://s1:26379?sentinelServiceName=&sentinelPassword=hunter2",
    ] {
        let err = RedisUrl::parse(bad).unwrap_err();
        assert!(!err.message().contains("hunter2"), "{bad}: {err}");
    }
}
