//! Two replicas of a web app share sessions through Redis: a sign-in started on replica A
//! finishes on replica B, the session works on both, and a sign-out on B ends it on A. Nothing
//! relies on sticky sessions or on one process's memory.
//!
//! Each test runs against a `redis-server` of its own on a free loopback port, and again against
//! a Redis Cluster of three primaries (`redis-cluster://`), whose keys spread over the nodes; the
//! first also behind a sentinel (`redis-sentinel://`). Without `redis-server` on `PATH` they are
//! `ignored` with the command to install it (the crate's build script looks), unless `CI` is
//! set, where they run and fail.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use okta_config::{Role, Settings};
use okta_flow::OktaClient;
use okta_flow::axum::{AuthenticatedUser, CSRF_FIELD, OktaAuth, RedisSessionStore, redis_store};
use okta_flow::upstream::tower_sessions::Session;
use serde_json::{Value, json};

use crate::harness::{http_client, session_token};
use crate::redis_servers::{RedisCluster, RedisServer, SentinelRedis, SharedRedis};

const COOKIE_SECRET: &str = "0GU7b5IS+KNmMe8D2BzY74/tn+o1rEYKtrK+rzX16Wc=";

/// One test per Redis deployment for a scenario written once as `async fn body(&impl
/// SharedRedis)`: `name => Deployment::start()` makes the test `name`, run on a multi-thread
/// runtime and `ignored` (with the install command) where `redis-server` is missing.
macro_rules! redis_tests {
    ($body:ident { $($(#[$attr:meta])* $name:ident => $redis:expr),+ $(,)? }) => {
        $(
            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(has_redis),
                ignore = "redis-server not found on PATH: apt-get install -y redis-server"
            )]
            async fn $name() {
                $body(&$redis).await;
            }
        )+
    };
}

redis_tests!(a_sign_in_started_on_one_replica_finishes_on_another_and_ends_everywhere_on {
    a_sign_in_started_on_one_replica_finishes_on_another_and_ends_everywhere => RedisServer::start(),
    a_sign_in_started_on_one_replica_finishes_on_another_and_ends_everywhere_on_a_cluster => RedisCluster::start(),
    a_sign_in_started_on_one_replica_finishes_on_another_and_ends_everywhere_behind_a_sentinel => SentinelRedis::start(),
});

async fn a_sign_in_started_on_one_replica_finishes_on_another_and_ends_everywhere_on(
    redis: &impl SharedRedis,
) {
    let server = okta_devserver::DevServer::builder().start().await.expect("devserver");
    let settings = settings(&server.issuer("default"));

    let replica_a = Replica::start(&settings, &redis.url()).await;
    let replica_b = Replica::start(&settings, &redis.url()).await;
    let mut browser = Browser::new();

    // The sign-in starts on A ...
    let login = browser.get(&replica_a, "/login?return_to=%2Fprofile").await;
    assert_eq!(login.status(), 303);
    let authorize_url = location(&login);
    assert_eq!(redis.dbsize(), 0, "a sign-in in progress writes nothing to the store");

    // ... the user signs in at Okta, and the load balancer sends the callback to B.
    let token =
        session_token(&server, okta_devserver::DEMO_USERNAME, okta_devserver::DEMO_PASSWORD).await;
    let okta = http_client()
        .get(format!("{authorize_url}&sessionToken={token}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(okta.status(), 302);
    let callback_url = location(&okta);
    let callback_path =
        callback_url.strip_prefix("http://127.0.0.1:8080").expect("the redirect URI");
    let callback = browser.get(&replica_b, callback_path).await;
    assert_eq!(callback.status(), 303, "replica B finishes A's sign-in");
    assert_eq!(location(&callback), "/profile");
    assert_eq!(redis.dbsize(), 2, "the session and the used pending login's marker");

    // The session works on both replicas, and on a replica started after the sign-in.
    let on_b = browser.profile(&replica_b).await;
    let on_a = browser.profile(&replica_a).await;
    assert_eq!(on_a["sub"], on_b["sub"]);
    assert_eq!(on_a["email"], okta_devserver::DEMO_USERNAME);
    drop(replica_a);
    let replica_a = Replica::start(&settings, &redis.url()).await;
    assert_eq!(browser.profile(&replica_a).await["sub"], on_b["sub"], "no process memory involved");

    // Sign-out on B ends the session on A.
    let csrf = on_a["csrf"].as_str().expect("a CSRF token");
    let logout = browser.post_form(&replica_b, "/logout", &format!("{CSRF_FIELD}={csrf}")).await;
    assert_eq!(logout.status(), 303);
    assert!(location(&logout).starts_with(&format!("{}/v1/logout?", server.issuer("default"))));
    assert_eq!(redis.dbsize(), 1, "the session is deleted; the marker stays five minutes");
    let after = browser.get(&replica_a, "/profile").await;
    assert_eq!(after.status(), 303);
    assert_eq!(location(&after), "/login?return_to=%2Fprofile");
}

redis_tests!(a_request_in_flight_during_a_sign_out_on_another_replica_cannot_undo_it_on {
    /// A request in flight on replica A when the user signs out on replica B writes the session
    /// after the sign-out: the write must not bring the session back (the upstream store's `SET XX`
    /// reply failed the request with a 500), and the old cookie is worth nothing afterwards.
    a_request_in_flight_during_a_sign_out_on_another_replica_cannot_undo_it => RedisServer::start(),
    a_request_in_flight_during_a_sign_out_on_another_replica_cannot_undo_it_on_a_cluster => RedisCluster::start(),
});

async fn a_request_in_flight_during_a_sign_out_on_another_replica_cannot_undo_it_on(
    redis: &impl SharedRedis,
) {
    let server = okta_devserver::DevServer::builder().start().await.expect("devserver");
    let settings = settings(&server.issuer("default"));
    let replica_a = Replica::start(&settings, &redis.url()).await;
    let replica_b = Replica::start(&settings, &redis.url()).await;
    let mut browser = Browser::new();
    sign_in(&server, &mut browser, &replica_a).await;
    let csrf = browser.profile(&replica_a).await["csrf"].as_str().expect("csrf").to_owned();
    let stolen = browser.cookies.clone();

    let mut in_flight = Browser::new();
    in_flight.cookies.clone_from(&stolen);
    let gate = replica_a.gate.clone();
    let pending = tokio::spawn(async move {
        let response = in_flight.get(&replica_a, "/in-flight").await;
        (response.status(), response.text().await.unwrap_or_default(), replica_a)
    });
    gate.entered.notified().await;
    let logout = browser.post_form(&replica_b, "/logout", &format!("{CSRF_FIELD}={csrf}")).await;
    assert_eq!(logout.status(), 303);
    assert_eq!(redis.dbsize(), 1, "the session is deleted; the used-login marker stays");
    gate.release.notify_one();
    let (status, body, replica_a) = pending.await.expect("the request in flight finishes");
    assert_eq!(status, 200, "the request in flight gets a normal answer: {body}");

    assert_eq!(redis.dbsize(), 1, "the late write did not bring the session back");
    let mut replay = Browser::new();
    replay.cookies = stolen;
    for replica in [&replica_a, &replica_b] {
        let after = replay.get(replica, "/profile").await;
        assert_eq!(after.status(), 303, "signed out on {}", replica.addr);
    }
}

redis_tests!(a_used_pending_login_is_refused_on_every_replica_on {
    /// A pending-login cookie finishes one sign-in, whichever replica the callback reaches: replayed
    /// on replica B with a new code (the same authorization URL signed in again at Okta as another
    /// user), it is refused, because replica A recorded its use in Redis.
    a_used_pending_login_is_refused_on_every_replica => RedisServer::start(),
    a_used_pending_login_is_refused_on_every_replica_on_a_cluster => RedisCluster::start(),
});

async fn a_used_pending_login_is_refused_on_every_replica_on(redis: &impl SharedRedis) {
    let server = okta_devserver::DevServer::builder().start().await.expect("devserver");
    let settings = settings(&server.issuer("default"));
    let replica_a = Replica::start(&settings, &redis.url()).await;
    let replica_b = Replica::start(&settings, &redis.url()).await;
    let mut browser = Browser::new();
    let login = browser.get(&replica_a, "/login").await;
    let authorize_url = location(&login);
    let sealed = browser.cookies.clone();
    let callback = okta_callback(
        &server,
        &authorize_url,
        okta_devserver::DEMO_USERNAME,
        okta_devserver::DEMO_PASSWORD,
    )
    .await;
    assert_eq!(browser.get(&replica_a, &callback).await.status(), 303, "signed in on A");

    let new_code = okta_callback(
        &server,
        &authorize_url,
        okta_devserver::DEMO_SECOND_USERNAME,
        okta_devserver::DEMO_SECOND_PASSWORD,
    )
    .await;
    assert_ne!(new_code, callback);
    let mut attacker = Browser::new();
    attacker.cookies = sealed;
    let replay = attacker.get(&replica_b, &new_code).await;
    assert_eq!(replay.status(), 400, "replica B refuses the used pending login");
    assert!(attacker.cookies.iter().all(|(name, _)| name != "okta_session"));
}

/// Signs `username` in at the devserver for `authorize_url`; returns the callback path.
async fn okta_callback(
    server: &okta_devserver::DevServer,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> String {
    let token = session_token(server, username, password).await;
    let okta = http_client()
        .get(format!("{authorize_url}&sessionToken={token}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(okta.status(), 302);
    let callback_url = location(&okta);
    callback_url.strip_prefix("http://127.0.0.1:8080").expect("the redirect URI").to_owned()
}

redis_tests!(redis_holds_neither_session_ids_nor_tokens_on {
    /// A copy of Redis (a dump, a replica, a backup) gives neither a session id a browser could
    /// present nor a token: the tokens used to lie there in the clear, under the session id.
    redis_holds_neither_session_ids_nor_tokens => RedisServer::start(),
    redis_holds_neither_session_ids_nor_tokens_on_a_cluster => RedisCluster::start(),
});

async fn redis_holds_neither_session_ids_nor_tokens_on(redis: &impl SharedRedis) {
    let server = okta_devserver::DevServer::builder().start().await.expect("devserver");
    let settings = settings(&server.issuer("default"));
    let replica = Replica::start(&settings, &redis.url()).await;
    let mut browser = Browser::new();
    sign_in(&server, &mut browser, &replica).await;
    let profile = browser.profile(&replica).await;

    let raw = redis.dump();
    assert_eq!(redis.dbsize(), 2, "the session and the used pending login's marker: {raw}");
    let (_, session_id) =
        browser.cookies.iter().find(|(name, _)| name == "okta_session").expect("session cookie");
    let mut secrets = vec![session_id.clone()];
    for field in ["access_token", "csrf", "sub", "email"] {
        secrets.push(profile[field].as_str().expect(field).to_owned());
    }
    for secret in &secrets {
        assert!(!raw.contains(secret.as_str()), "Redis shows {secret:?}: {raw}");
    }
    for name in ["access_token", "refresh_token", "id_token"] {
        assert!(!raw.contains(name), "Redis shows {name}: {raw}");
    }
}

/// Signs the demo user in through `replica`.
pub(crate) async fn sign_in(
    server: &okta_devserver::DevServer,
    browser: &mut Browser,
    replica: &Replica,
) {
    let login = browser.get(replica, "/login?return_to=%2Fprofile").await;
    assert_eq!(login.status(), 303);
    let token =
        session_token(server, okta_devserver::DEMO_USERNAME, okta_devserver::DEMO_PASSWORD).await;
    let okta = http_client()
        .get(format!("{}&sessionToken={token}", location(&login)))
        .send()
        .await
        .expect("authorize");
    assert_eq!(okta.status(), 302);
    let callback_url = location(&okta);
    let callback_path =
        callback_url.strip_prefix("http://127.0.0.1:8080").expect("the redirect URI");
    let callback = browser.get(replica, callback_path).await;
    assert_eq!(callback.status(), 303, "signed in");
}

fn settings(issuer: &str) -> Settings {
    crate::harness::settings_for(issuer)
        .set("cookie_secret", COOKIE_SECRET) // the same on every replica
        .role(Role::Client)
        .load()
        .expect("valid settings")
}

/// One replica: its own client (its own discovery), its own Redis connections, its own port.
pub(crate) struct Replica {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    gate: Arc<InFlight>,
}

/// Holds `GET /in-flight` between loading the user and writing the session.
#[derive(Default)]
struct InFlight {
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

/// Loads the user, waits for the test, then writes to the session.
async fn in_flight_request(
    Extension(gate): Extension<Arc<InFlight>>,
    user: AuthenticatedUser,
    session: Session,
) -> String {
    gate.entered.notify_one();
    gate.release.notified().await;
    session.insert("visits", 1_u32).await.expect("the session takes the value");
    user.subject().to_owned()
}

impl Replica {
    async fn start(settings: &Settings, redis_url: &str) -> Self {
        let store = redis_store(redis_url, 2).await.expect("Redis connects");
        Self::with_store(settings, store).await
    }

    /// A replica on a store connected by the caller.
    pub(crate) async fn with_store(settings: &Settings, store: RedisSessionStore) -> Self {
        let client = OktaClient::discover(settings).await.expect("discovery");
        let okta = OktaAuth::new(client).expect("sign-in routes");
        let gate = Arc::new(InFlight::default());
        let app = Router::new()
            .route("/profile", get(profile))
            .route("/in-flight", get(in_flight_request))
            .layer(Extension(gate.clone()))
            .merge(okta.routes())
            .layer(okta.layer(store));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serving");
        });
        Self { addr, task, gate }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn profile(user: AuthenticatedUser) -> String {
    json!({
        "sub": user.subject(),
        "email": user.userinfo().and_then(|info| info.email()),
        "csrf": user.csrf_token(),
        "access_token": user.access_token().secret(),
    })
    .to_string()
}

/// A browser: one cookie jar for the host, whatever the port (as browsers do), no redirects
/// followed.
pub(crate) struct Browser {
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
        okta_http::install_default_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("reqwest client");
        Self { http, cookies: Vec::new() }
    }

    pub(crate) async fn get(&mut self, replica: &Replica, path: &str) -> reqwest::Response {
        let request =
            self.http.get(format!("http://{}{path}", replica.addr)).header("accept", "text/html");
        self.send(request).await
    }

    pub(crate) async fn post_form(
        &mut self,
        replica: &Replica,
        path: &str,
        body: &str,
    ) -> reqwest::Response {
        let request = self
            .http
            .post(format!("http://{}{path}", replica.addr))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        self.send(request).await
    }

    pub(crate) async fn profile(&mut self, replica: &Replica) -> Value {
        let response = self.get(replica, "/profile").await;
        assert_eq!(response.status(), 200, "signed in on {}", replica.addr);
        response.json().await.expect("profile JSON")
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> reqwest::Response {
        if !self.cookies.is_empty() {
            let header: Vec<String> =
                self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            request = request.header("cookie", header.join("; "));
        }
        let response = request.send().await.expect("the replica answers");
        for set_cookie in response.headers().get_all("set-cookie") {
            let set_cookie = set_cookie.to_str().expect("ASCII cookie");
            let (pair, attributes) = set_cookie.split_once(';').unwrap_or((set_cookie, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(existing, _)| existing != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        response
    }
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().expect("ASCII location").to_owned()
}
