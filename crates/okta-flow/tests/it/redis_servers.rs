//! Redis processes of our own for the tests, on free loopback ports, each in a temporary
//! directory, stopped on drop: one server (plain, or TLS with a local CA made here and a
//! password), a cluster of three primaries, and a primary behind a sentinel.
//!
//! Without `redis-server` on `PATH` the tests that use them are `ignored` with the command to
//! install it (the crate's build script looks), unless `CI` is set, where they run and fail.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

/// What the session tests need from a Redis deployment.
pub(crate) trait SharedRedis {
    /// The URL the replicas connect with.
    fn url(&self) -> String;
    /// How many keys the deployment holds (every primary).
    fn dbsize(&self) -> u64;
    /// Every key, with its value (`redis-cli --raw`), one per line.
    fn dump(&self) -> String;
}

/// One `redis-server` process, killed on drop.
struct Process {
    child: Child,
    port: u16,
}

impl Process {
    /// Starts `redis-server` with `args` in `dir`, listening on `port` (plain or TLS), and waits
    /// (10 s at most) until the port accepts connections.
    fn start(dir: &Path, port: u16, args: &[String]) -> Self {
        assert!(
            Command::new("redis-server").arg("--version").output().is_ok(),
            "redis-server is not installed, so the Redis tests cannot run; install it with \
             `apt-get install -y redis-server`{}",
            if in_ci() { " (CI is set: .ci/run installs it)" } else { "" }
        );
        let log = std::fs::File::create(dir.join(format!("redis-{port}.log"))).expect("log file");
        let child = Command::new("redis-server")
            .args(args)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::from(log))
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {port} within 10 s: {}",
                std::fs::read_to_string(dir.join(format!("redis-{port}.log"))).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        process
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain `redis-server` on a free loopback port.
pub(crate) struct RedisServer {
    process: Process,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let process = Process::start(dir.path(), port, &plain_args(port));
        let server = Self { process, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.command("PING") != "+PONG" {
            assert!(Instant::now() < deadline, "redis-server did not answer PING within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub(crate) fn port(&self) -> u16 {
        self.process.port
    }

    /// Sends one inline command and returns the first line of the reply ("" if unreachable).
    pub(crate) fn command(&self, command: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port())) else {
            return String::new();
        };
        let timeout = Some(Duration::from_secs(2));
        let _ = stream.set_read_timeout(timeout);
        let _ = stream.set_write_timeout(timeout);
        if stream.write_all(format!("{command}\r\n").as_bytes()).is_err() {
            return String::new();
        }
        let mut reply = [0_u8; 64];
        let n = stream.read(&mut reply).unwrap_or(0);
        String::from_utf8_lossy(&reply[..n]).lines().next().unwrap_or_default().to_owned()
    }
}

impl SharedRedis for RedisServer {
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    fn dbsize(&self) -> u64 {
        dbsize(self.port(), &[])
    }

    fn dump(&self) -> String {
        dump(self.port(), &[])
    }
}

/// The common name of the TLS server's local CA.
const CA_NAME: &str = "okta-flow test Redis CA";

/// A `redis-server` that speaks only TLS (`--tls-port`, the plain port off), with a server
/// certificate for `127.0.0.1` and `localhost` signed by a local CA made here, and a password.
pub(crate) struct TlsRedisServer {
    process: Process,
    dir: tempfile::TempDir,
    password: String,
}

impl TlsRedisServer {
    pub(crate) fn start(password: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_tls_files(dir.path());
        let port = free_port();
        let process = Process::start(dir.path(), port, &tls_args(dir.path(), port, password));
        Self { process, dir, password: password.to_owned() }
    }

    pub(crate) fn port(&self) -> u16 {
        self.process.port
    }

    /// The PEM file of the CA that signed the server's certificate.
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `redis-cli` over TLS, with the password.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        let ca = self.ca_file().display().to_string();
        let options = ["--tls", "--cacert", &ca, "-a", &self.password, "--no-auth-warning"];
        cli(self.port(), &options, args)
    }
}

/// The local CA, and the server certificate and key it signed, written to `dir` as `ca.pem`,
/// `server.pem` and `server.key`.
fn write_tls_files(dir: &Path) {
    let (ca_pem, ca_key) = local_ca(CA_NAME);
    let (server_pem, server_key) = server_certificate(CA_NAME, &ca_key);
    for (name, text) in [("ca.pem", ca_pem), ("server.pem", server_pem), ("server.key", server_key)]
    {
        std::fs::write(dir.join(name), text).expect("write a certificate file");
    }
}

/// The arguments of a server that speaks only TLS on `port` (the files of [`write_tls_files`]
/// in `dir`, client certificates not required) and requires `password`, also from the
/// servers it replicates.
fn tls_args(dir: &Path, port: u16, password: &str) -> Vec<String> {
    let file = |name: &str| dir.join(name).display().to_string();
    [
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        &file("server.pem"),
        "--tls-key-file",
        &file("server.key"),
        "--tls-ca-cert-file",
        &file("ca.pem"),
        "--tls-auth-clients",
        "no",
        "--requirepass",
        password,
        "--masterauth",
        password,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A Redis Cluster of three primaries (no replicas) on free loopback ports, created with
/// `redis-cli --cluster create`, ready (`cluster_state:ok` on every node) when `start` returns.
pub(crate) struct RedisCluster {
    nodes: Vec<Process>,
    dir: tempfile::TempDir,
    /// The password and `redis-cli`'s TLS options, for a cluster over TLS.
    tls: Option<(String, Vec<String>)>,
}

impl RedisCluster {
    /// A cluster over plain TCP without a password.
    pub(crate) fn start() -> Self {
        Self::start_with(None)
    }

    /// A cluster that speaks only TLS (clients and the cluster bus; the server certificates
    /// signed by a local CA, [`RedisCluster::ca_file`]) and requires `password`.
    pub(crate) fn start_tls(password: &str) -> Self {
        Self::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tls = password.map(|password| {
            write_tls_files(dir.path());
            let ca = dir.path().join("ca.pem").display().to_string();
            let options = ["--tls", "--cacert", &ca, "-a", password, "--no-auth-warning"];
            (password.to_owned(), options.map(str::to_owned).to_vec())
        });
        let nodes: Vec<Process> = (0..3)
            .map(|_| {
                let port = free_port();
                let mut args = match password {
                    Some(password) => {
                        let mut args = tls_args(dir.path(), port, password);
                        args.extend(["--tls-cluster", "yes"].map(str::to_owned));
                        args
                    }
                    None => plain_args(port),
                };
                args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &format!("nodes-{port}.conf"),
                        // The bus port, else port + 10000, which may be taken or out of range.
                        "--cluster-port",
                        &free_port().to_string(),
                    ]
                    .map(str::to_owned),
                );
                Process::start(dir.path(), port, &args)
            })
            .collect();
        let addresses: Vec<String> =
            nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)).collect();
        // `timeout`: redis-cli waits without end for nodes that cannot join.
        let output = Command::new("timeout")
            .args(["60", "redis-cli"])
            .args(tls.as_ref().map(|(_, options)| options.as_slice()).unwrap_or_default())
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = Self { nodes, dir, tls };
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &cluster.nodes {
            while !cluster.cli(node.port, &["CLUSTER", "INFO"]).contains("cluster_state:ok") {
                assert!(Instant::now() < deadline, "the cluster was not ready within 20 s");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        cluster
    }

    /// The ports of the primaries.
    pub(crate) fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// How many keys each primary holds.
    pub(crate) fn dbsizes(&self) -> Vec<u64> {
        let options = self.cli_options();
        self.ports().into_iter().map(|port| dbsize(port, &options)).collect()
    }

    /// The PEM file of the CA that signed the nodes' certificates (a TLS cluster).
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn cli_options(&self) -> Vec<&str> {
        self.tls
            .as_ref()
            .map(|(_, options)| options.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn cli(&self, port: u16, args: &[&str]) -> String {
        cli(port, &self.cli_options(), args)
    }
}

impl SharedRedis for RedisCluster {
    /// The first node, with the second as another seed (`node=`); the third is discovered.
    /// `rediss-cluster://:password@...` for a TLS cluster.
    fn url(&self) -> String {
        let (scheme, credentials) = match &self.tls {
            Some((password, _)) => ("rediss-cluster", format!(":{password}@")),
            None => ("redis-cluster", String::new()),
        };
        let ports = self.ports();
        format!("{scheme}://{credentials}127.0.0.1:{}?node=127.0.0.1:{}", ports[0], ports[1])
    }

    fn dbsize(&self) -> u64 {
        self.dbsizes().into_iter().sum()
    }

    fn dump(&self) -> String {
        let options = self.cli_options();
        let dumps: Vec<String> =
            self.ports().into_iter().map(|port| dump(port, &options)).collect();
        dumps.join("\n")
    }
}

/// A primary, its replica, and one sentinel that monitors the primary as `sessions` (quorum 1).
pub(crate) struct SentinelRedis {
    primary: Process,
    replica: Process,
    sentinel: Process,
    _dir: tempfile::TempDir,
}

impl SentinelRedis {
    /// The name the sentinel knows the primary by.
    pub(crate) const SERVICE: &str = "sessions";

    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let primary_port = free_port();
        let primary = Process::start(dir.path(), primary_port, &plain_args(primary_port));
        let replica_port = free_port();
        let mut args = plain_args(replica_port);
        args.extend(["--replicaof".to_owned(), "127.0.0.1".to_owned(), primary_port.to_string()]);
        let replica = Process::start(dir.path(), replica_port, &args);
        // A sentinel rewrites its configuration file: one of its own in the directory.
        let sentinel_port = free_port();
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "bind 127.0.0.1\nport {sentinel_port}\n\
                 sentinel monitor {} 127.0.0.1 {primary_port} 1\n",
                Self::SERVICE
            ),
        )
        .expect("sentinel.conf");
        let sentinel = Process::start(
            dir.path(),
            sentinel_port,
            &[conf.display().to_string(), "--sentinel".to_owned()],
        );
        let redis = Self { primary, replica, sentinel, _dir: dir };
        redis.wait_for_primary(primary_port);
        // The sentinel learns of the replica from the primary's INFO; the replica must be in
        // sync before it can be promoted.
        let deadline = Instant::now() + Duration::from_secs(20);
        let replica_listed = format!("\n{replica_port}\n");
        while !cli(sentinel_port, &[], &["SENTINEL", "REPLICAS", Self::SERVICE])
            .contains(&replica_listed)
            || !cli(replica_port, &[], &["INFO", "replication"]).contains("master_link_status:up")
        {
            assert!(Instant::now() < deadline, "the replica was not in sync within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        redis
    }

    /// Waits (20 s at most) until the sentinel names the server on `port` as the primary.
    fn wait_for_primary(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let wanted = format!("127.0.0.1\n{port}\n");
        while cli(self.sentinel.port, &[], &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", Self::SERVICE])
            != wanted
        {
            assert!(Instant::now() < deadline, "the sentinel did not name {port} within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port of the server the sentinel names as the primary.
    fn primary_port(&self) -> u16 {
        let reply =
            cli(self.sentinel.port, &[], &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", Self::SERVICE]);
        reply.lines().nth(1).and_then(|port| port.parse().ok()).expect("the primary's port")
    }

    /// Waits (20 s at most) until the replica holds `keys` keys (replication is asynchronous).
    pub(crate) fn wait_for_replica_keys(&self, keys: u64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while dbsize(self.replica.port, &[]) != keys {
            assert!(Instant::now() < deadline, "the replica did not catch up within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Fails over to the replica (`SENTINEL FAILOVER`), and waits until the sentinel names it
    /// and the old primary has become its replica (the sentinel then closes the old primary's
    /// client connections, so clients ask the sentinel again).
    pub(crate) fn fail_over(&self) {
        let reply = cli(self.sentinel.port, &[], &["SENTINEL", "FAILOVER", Self::SERVICE]);
        assert_eq!(reply.trim(), "OK", "SENTINEL FAILOVER");
        self.wait_for_primary(self.replica.port);
        // The sentinel reconfigures the old primary at its next INFO round (every 10 s).
        let deadline = Instant::now() + Duration::from_secs(60);
        while !cli(self.primary.port, &[], &["ROLE"]).starts_with("slave") {
            assert!(Instant::now() < deadline, "the old primary was not demoted within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl SharedRedis for SentinelRedis {
    fn url(&self) -> String {
        format!(
            "redis-sentinel://127.0.0.1:{}?sentinelServiceName={}",
            self.sentinel.port,
            Self::SERVICE
        )
    }

    fn dbsize(&self) -> u64 {
        dbsize(self.primary_port(), &[])
    }

    fn dump(&self) -> String {
        dump(self.primary_port(), &[])
    }
}

fn plain_args(port: u16) -> Vec<String> {
    ["--bind", "127.0.0.1", "--port", &port.to_string(), "--protected-mode", "yes"]
        .map(str::to_owned)
        .to_vec()
}

/// `redis-cli -h 127.0.0.1 -p port --raw` with `options` and `args`.
fn cli(port: u16, options: &[&str], args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--raw"])
        .args(options)
        .args(args)
        .output()
        .expect("redis-cli runs");
    assert!(output.status.success(), "redis-cli {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn dbsize(port: u16, options: &[&str]) -> u64 {
    let reply = cli(port, options, &["DBSIZE"]);
    reply.trim().parse().unwrap_or_else(|_| panic!("DBSIZE answered {reply:?}"))
}

fn dump(port: u16, options: &[&str]) -> String {
    let keys = cli(port, options, &["--scan"]);
    let pairs: Vec<String> = keys
        .lines()
        .map(|key| format!("{key} {}", cli(port, options, &["GET", key]).trim_end()))
        .collect();
    pairs.join("\n")
}

/// A self-signed CA certificate (PEM) and its key.
pub(crate) fn local_ca(name: &str) -> (String, KeyPair) {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a CA key");
    (ca_params(name).self_signed(&key).expect("the CA certificate").pem(), key)
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    params
}

/// A server certificate for `127.0.0.1` and `localhost` signed by the CA `ca_name` (made by
/// [`local_ca`] with `ca_key`), and its key (PEM).
fn server_certificate(ca_name: &str, ca_key: &KeyPair) -> (String, String) {
    // The CA certificate and this one share subject and key, which is all signing needs.
    let issuer = ca_params(ca_name).self_signed(ca_key).expect("the issuer");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("server parameters");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "redis");
    params.subject_alt_names = vec![
        SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        SanType::DnsName("localhost".try_into().expect("a DNS name")),
    ];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // Client authentication too: cluster nodes present it to each other on the TLS bus (with
    // server authentication alone, `redis-cli --cluster create` waits forever for the join).
    params.extended_key_usages =
        vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a server key");
    let cert = params.signed_by(&key, &issuer, ca_key).expect("the server certificate");
    (cert.pem(), key.serialize_pem())
}

pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

#[allow(clippy::disallowed_methods, reason = "the failure says whether CI should have had Redis")]
pub(crate) fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}
