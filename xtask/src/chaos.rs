//! `cargo xtask chaos`: two replicas of okta-flow's web example (`examples/webapp.rs`, separate
//! processes) share one `redis-server` and okta-devserver behind a round-robin proxy with no
//! sticky routing; simulated users sign in, browse, refresh and sign out concurrently while
//! Redis is killed and started again, then one replica. The run prints its counts and fails
//! with the reasons when one breaks a rule ([`verdict`]). docs/guides/multi-replica.md
//! describes the rules and a long run.
//!
//! Everything the run starts listens on 127.0.0.1 and is stopped when the run ends, fails or is
//! interrupted (Ctrl-C): the processes are killed on drop.

mod proxy;
mod user;
mod verdict;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use okta_devserver::{Client, DevServer, GrantType, TokenLifetimes, User};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use url::Url;

use crate::flags::Chaos;
use crate::report;
use verdict::{Expected, Fault, FaultKind};

/// Users browsing at the same time at most.
const CONCURRENCY: usize = 50;
/// The shortest session: long enough for a refresh (the first comes 10 s after sign-in).
const MIN_SESSION: Duration = Duration::from_secs(15);
/// Access tokens live 5 minutes (Okta's shortest) ...
const ACCESS_TOKEN: Duration = Duration::from_mins(5);
/// ... and the replicas refresh them 290 s before they expire: every 10 s.
const REFRESH_MARGIN_SECS: u64 = 290;
/// How long Redis and the replica stay down.
const OUTAGE: Duration = Duration::from_secs(3);
/// A fault whose first good page comes later than this after it ended fails the run.
const MAX_RECOVERY: Duration = Duration::from_secs(20);
/// What okta-flow logs (debug) when a request finds another one refreshing its session.
const CONTENDED_REFRESH: &str = "another request is refreshing this session";
/// How long a started process may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The web app's client at the devserver.
const CLIENT_ID: &str = "chaos-web";
const CLIENT_SECRET: &str = "chaos-client-secret-0123456789abcdefghij";
/// The same keys on both replicas (a throwaway run on loopback: fixed values are enough).
const COOKIE_SECRET: &str = "Y2hhb3MtY29va2llLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
const SESSION_KEY: &str = "Y2hhb3Mtc2Vzc2lvbi1rZXktMDEyMzQ1Njc4OWFiY2Q=";

impl Chaos {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        require_redis()?;
        report("chaos: building the web example (cargo build -p okta-flow --example webapp)");
        let status = crate::cargo()
            .args(["build", "-p", "okta-flow", "--example", "webapp", "--features", "axum,redis"])
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("building the web example failed");
        }
        crate::runtime()?.block_on(async {
            tokio::select! {
                result = self.run_async() => result,
                _ = tokio::signal::ctrl_c() => {
                    bail!("interrupted: everything the run started has been stopped")
                }
            }
        })
    }

    async fn run_async(self) -> anyhow::Result<()> {
        let booting = Instant::now();
        // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
        okta_http::install_default_crypto_provider();
        let dir = crate::target_dir().join("chaos");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir.join("redis"))
            .with_context(|| format!("creating {}", dir.display()))?;

        let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy to a free loopback port")?;
        let proxy = Url::parse(&format!("http://{}/", proxy_listener.local_addr()?))?;
        let grace_period = Duration::from_secs(self.grace_period);
        let devserver = start_devserver(&proxy, self.users, grace_period).await?;
        let issuer = devserver.issuer(okta_devserver::DEFAULT_SERVER_ID);

        let mut redis = Redis { port: free_port()?, dir: dir.join("redis"), child: None };
        redis.start().await?;
        let env = replica_env(&issuer, &proxy);
        let mut replicas = Vec::new();
        for index in 0..2 {
            let mut replica = Replica {
                index,
                port: free_port()?,
                binary: crate::target_dir().join("debug/examples/webapp"),
                redis: redis.url(),
                env: env.clone(),
                dir: dir.clone(),
                child: None,
            };
            replica.start().await?;
            replicas.push(replica);
        }
        let addrs = replicas.iter().map(Replica::addr).collect();
        let proxy_task = proxy::start(proxy_listener, addrs)?;
        let _proxy = AbortOnDrop(proxy_task);

        let users = self.users;
        let concurrency = CONCURRENCY.min(users);
        let duration = Duration::from_secs(self.duration);
        // Each user's turn: the load spread over the rounds of `concurrency` users.
        let rounds = u32::try_from(users.div_ceil(concurrency)).unwrap_or(u32::MAX);
        let per_round = duration / rounds.max(1);
        let session_length = per_round.saturating_sub(Duration::from_secs(1)).max(MIN_SESSION);
        report(&format!(
            "chaos: {users} users ({concurrency} at a time, sessions of {} s) for {} s through the \
             proxy at {proxy} to replicas A (:{}) and B (:{}); Redis on :{} (append-only file, \
             fsync always); devserver at {issuer} (refresh-token grace period {} s); started in \
             {:.1} s; logs in {}",
            session_length.as_secs(),
            duration.as_secs(),
            replicas[0].port,
            replicas[1].port,
            redis.port,
            grace_period.as_secs(),
            booting.elapsed().as_secs_f64(),
            dir.display()
        ));

        let started = Instant::now();
        let authorize = Url::parse(&format!("{issuer}/v1/authorize"))?;
        let shared = Arc::new(user::Shared {
            proxy,
            authorize,
            started,
            deadline: started + duration,
            session_length,
            records: std::sync::Mutex::default(),
            sessions: AtomicU64::new(0),
            raw: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()?,
        });
        let next_user = Arc::new(AtomicUsize::new(0));
        let subjects = Arc::new(std::sync::Mutex::new(vec![None; users]));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (shared, next_user, subjects) =
                (shared.clone(), next_user.clone(), subjects.clone());
            workers.spawn(async move {
                while Instant::now() < shared.deadline {
                    let index = next_user.fetch_add(1, Ordering::Relaxed) % users;
                    let mut sub = lock(&subjects)[index].take();
                    user::session(&shared, index, &mut sub).await;
                    lock(&subjects)[index] = sub;
                }
            });
        }
        let (faults, ()) =
            tokio::join!(inject_faults(&mut redis, &mut replicas[1], started, duration), async {
                while let Some(joined) = workers.join_next().await {
                    if let Err(err) = joined {
                        report(&format!("chaos: a user task failed: {err}"));
                    }
                }
            });
        let faults = faults?;
        let load = started.elapsed();

        let refreshes = devserver.count_token_requests(GrantType::RefreshToken, CLIENT_ID);
        let records = std::mem::take(&mut *lock(&shared.records));
        let expected = Expected { users, max_recovery: MAX_RECOVERY };
        let verdict = verdict::evaluate(&records, &faults, refreshes, expected);
        let contended: usize = replicas
            .iter()
            .map(|replica| {
                std::fs::read_to_string(replica.log())
                    .unwrap_or_default()
                    .matches(CONTENDED_REFRESH)
                    .count()
            })
            .sum();
        report(&format!(
            "\nchaos: the load ran {:.1} s (setup {:.1} s before it); {contended} request(s) found \
             their session's refresh under way in another request (the replicas' logs)\n{}",
            load.as_secs_f64(),
            started.duration_since(booting).as_secs_f64(),
            verdict::render(&verdict)
        ));
        if verdict.failures.is_empty() {
            Ok(())
        } else {
            bail!(
                "the chaos run broke {} rule(s); the replicas' logs are in {}",
                verdict.failures.len(),
                dir.display()
            )
        }
    }
}

/// Kills and restarts Redis at 30 % of the run, then replica B at 60 % (and after the Redis
/// outage window, so that each fault is counted on its own).
async fn inject_faults(
    redis: &mut Redis,
    replica: &mut Replica,
    started: Instant,
    duration: Duration,
) -> anyhow::Result<Vec<Fault>> {
    let mut faults = Vec::new();
    let at = |instant: Instant| instant.duration_since(started);

    tokio::time::sleep_until(started + duration.mul_f64(0.3)).await;
    let down = Instant::now();
    redis.kill().await;
    report(&format!("chaos: {:>5.1} s  Redis killed", at(down).as_secs_f64()));
    tokio::time::sleep(OUTAGE).await;
    redis.start().await?;
    let up = at(Instant::now());
    report(&format!("chaos: {:>5.1} s  Redis answers again", up.as_secs_f64()));
    faults.push(Fault { kind: FaultKind::Redis, down_at: at(down), up_at: Some(up) });

    let after_redis = started + up + verdict::REDIS_RECONNECT_ALLOWANCE + Duration::from_secs(1);
    tokio::time::sleep_until((started + duration.mul_f64(0.6)).max(after_redis)).await;
    let down = Instant::now();
    replica.kill().await;
    let name = verdict::replica_name(replica.index);
    report(&format!("chaos: {:>5.1} s  replica {name} killed", at(down).as_secs_f64()));
    tokio::time::sleep(OUTAGE).await;
    replica.start().await?;
    let up = at(Instant::now());
    report(&format!("chaos: {:>5.1} s  replica {name} answers again", up.as_secs_f64()));
    faults.push(Fault {
        kind: FaultKind::Replica(replica.index),
        down_at: at(down),
        up_at: Some(up),
    });
    Ok(faults)
}

/// The devserver with the web app's client (its URIs on the proxy), `users` users, five-minute
/// access tokens and refresh-token rotation with `grace_period`.
async fn start_devserver(
    proxy: &Url,
    users: usize,
    grace_period: Duration,
) -> anyhow::Result<DevServer> {
    let client = Client::confidential(CLIENT_ID, CLIENT_SECRET)
        .with_redirect_uri(proxy.join("/authorization-code/callback")?.as_str())
        .with_post_logout_redirect_uri(proxy.as_str())
        .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken])
        .with_refresh_token_rotation(true);
    let mut builder = DevServer::builder().client(client).lifetimes(
        TokenLifetimes::default()
            .with_access_token(ACCESS_TOKEN)
            .with_refresh_rotation_grace(grace_period),
    );
    for index in 0..users {
        builder = builder.user(
            User::new(user::username(index), user::PASSWORD)
                .with_name("Chaos", user::family_name(index)),
        );
    }
    let server = builder.start().await.context("starting okta-devserver")?;
    let keys = server.keys();
    tokio::task::spawn_blocking(move || keys.warm_up(okta_devserver::DEFAULT_SERVER_ID))
        .await?
        .map_err(|err| anyhow::anyhow!("generating the devserver's keys: {err}"))?;
    Ok(server)
}

/// The settings of both replicas, as `OKTA_*` variables (nothing else from this environment).
fn replica_env(issuer: &str, proxy: &Url) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ISSUER", issuer.to_owned()),
        ("OKTA_CLIENT_ID", CLIENT_ID.to_owned()),
        ("OKTA_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("OKTA_REDIRECT_URI", format!("{proxy}authorization-code/callback")),
        ("OKTA_POST_LOGOUT_REDIRECT_URI", proxy.to_string()),
        ("OKTA_SCOPES", "openid profile email offline_access".to_owned()),
        ("OKTA_COOKIE_SECRET", COOKIE_SECRET.to_owned()),
        ("OKTA_SESSION__KEY", SESSION_KEY.to_owned()),
        // Debug for the sessions: the log says when a refresh found another one under way.
        ("RUST_LOG", "warn,okta_flow=info,okta_flow::axum::session=debug".to_owned()),
        // Plain text in the log files.
        ("NO_COLOR", "1".to_owned()),
    ]
}

/// Fails with the install command when `redis-server` cannot run.
fn require_redis() -> anyhow::Result<()> {
    match std::process::Command::new("redis-server").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!(
            "redis-server is not installed (or does not run), and the chaos run needs it: install \
             it with `apt-get install -y redis-server` (.ci/run does)"
        ),
    }
}

/// A `redis-server` on a fixed loopback port with an append-only file synced on every write,
/// so that a killed server restarts with every session it acknowledged.
struct Redis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
            .args(["--daemonize", "no", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting redis-server")?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.answers().await {
            if Instant::now() > deadline {
                bail!("redis-server did not answer PING within {} s", START_TIMEOUT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// SIGKILL: a crash, not a shutdown.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    async fn answers(&self) -> bool {
        let Ok(Ok(mut stream)) = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(("127.0.0.1", self.port)),
        )
        .await
        else {
            return false;
        };
        let mut reply = [0_u8; 16];
        let exchange = async {
            stream.write_all(b"PING\r\n").await?;
            stream.read(&mut reply).await
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(1), exchange).await,
            Ok(Ok(n)) if reply[..n].starts_with(b"+PONG")
        )
    }
}

/// One replica: the web example on a fixed loopback port, its output in `dir`.
struct Replica {
    index: usize,
    port: u16,
    binary: PathBuf,
    redis: String,
    env: Vec<(&'static str, String)>,
    dir: PathBuf,
    child: Option<Child>,
}

impl Replica {
    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn log(&self) -> PathBuf {
        self.dir.join(format!("replica-{}.log", verdict::replica_name(self.index)))
    }

    async fn start(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .with_context(|| format!("opening {}", self.log().display()))?;
        let child = Command::new(&self.binary)
            .args(["--redis", &self.redis, "--port", &self.port.to_string()])
            .args(["--refresh-margin", &REFRESH_MARGIN_SECS.to_string()])
            .env_clear()
            .envs(self.env.iter().map(|(name, value)| (*name, value.as_str())))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if tokio::net::TcpStream::connect(self.addr()).await.is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!(
                    "replica {} exited ({status}) at start-up:\n{}",
                    verdict::replica_name(self.index),
                    tail(&self.log())
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "replica {} did not listen within {} s",
                    verdict::replica_name(self.index),
                    START_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: its requests in flight get no answer.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A free loopback port (bound and released; the run binds it again at once).
fn free_port() -> anyhow::Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Stops the proxy when the run ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
