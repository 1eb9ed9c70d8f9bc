//! The raw layer: every known key, its default, and its value read with its origin, unvalidated.

use std::time::Duration;

use config::{Map, Value, ValueKind};

use crate::origin::tag;
use crate::{Origin, Problem};

/// A key of `okta.toml` (dotted for sections) and what it holds.
pub(crate) struct Key {
    pub(crate) name: &'static str,
    /// Secret values are never echoed in a problem.
    pub(crate) secret: bool,
}

const fn key(name: &'static str) -> Key {
    Key { name, secret: false }
}

const fn secret(name: &'static str) -> Key {
    Key { name, secret: true }
}

/// Every setting, in the order problems are reported and `docs/configuration.md` lists them.
pub(crate) const KEYS: &[Key] = &[
    key("issuer"),
    key("domain"),
    key("authorization_server"),
    key("client_id"),
    secret("client_secret"),
    key("client_auth_method"),
    secret("client_private_key"),
    key("client_private_key_file"),
    key("client_key_id"),
    key("client_signing_alg"),
    key("redirect_uri"),
    key("post_logout_redirect_uri"),
    key("scopes"),
    key("audience"),
    key("client_ids"),
    key("any_client"),
    key("required_scopes"),
    key("leeway_secs"),
    key("max_token_age_secs"),
    secret("cookie_secret"),
    secret("session.key"),
    secret("session.previous_keys"),
    secret("session.redis_url"),
    key("http.connect_timeout_secs"),
    key("http.timeout_secs"),
    key("http.max_response_bytes"),
    key("http.proxy"),
    key("http.no_proxy"),
    key("http.extra_ca_file"),
    key("jwks.min_ttl_secs"),
    key("jwks.max_ttl_secs"),
    key("jwks.refetch_cooldown_secs"),
    key("jwks.refresh_interval_secs"),
];

pub(crate) fn is_known(name: &str) -> bool {
    KEYS.iter().any(|known| known.name == name)
}

/// The built-in defaults, as the lowest layer (no origin: [`Origin::Default`]).
pub(crate) fn defaults() -> Map<String, Value> {
    let value = |kind: ValueKind| Value::new(None, kind);
    let table = |entries: &[(&str, i64)], texts: &[(&str, &str)]| {
        let numbers = entries.iter().map(|(key, n)| ((*key).to_owned(), value(ValueKind::I64(*n))));
        let texts = texts
            .iter()
            .map(|(key, text)| ((*key).to_owned(), value(ValueKind::String((*text).to_owned()))));
        value(ValueKind::Table(numbers.chain(texts).collect()))
    };
    let scopes = ["openid", "profile", "email"]
        .iter()
        .map(|scope| value(ValueKind::String((*scope).to_owned())))
        .collect();
    [
        ("client_auth_method", value(ValueKind::String("client_secret_basic".to_owned()))),
        ("scopes", value(ValueKind::Array(scopes))),
        ("leeway_secs", value(ValueKind::I64(120))),
        ("max_token_age_secs", value(ValueKind::I64(24 * 60 * 60))),
        (
            "http",
            table(
                &[
                    ("connect_timeout_secs", 5),
                    ("timeout_secs", 10),
                    ("max_response_bytes", 1024 * 1024),
                ],
                &[("proxy", "none")],
            ),
        ),
        (
            "jwks",
            table(
                &[
                    ("min_ttl_secs", 5 * 60),
                    ("max_ttl_secs", 24 * 60 * 60),
                    ("refetch_cooldown_secs", 30),
                    ("refresh_interval_secs", 5 * 60),
                ],
                &[],
            ),
        ),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

/// A hint naming the closest known key for a near miss (a typo), else nothing.
pub(crate) fn suggestion(name: &str) -> String {
    let related = |known: &str| name.starts_with(known) || known.starts_with(name);
    KEYS.iter()
        .map(|known| (edit_distance(name, known.name), known.name))
        .filter(|(distance, known)| *distance <= 3 || (name.len() >= 4 && related(known)))
        .min()
        .map(|(_, known)| format!("; did you mean `{known}`?"))
        .unwrap_or_default()
}

/// A hint naming the closest known section (`[http]`, `[jwks]`, `[session]`) for a table that is
/// none, else nothing.
pub(crate) fn section_suggestion(name: &str) -> String {
    let mut sections: Vec<&str> = KEYS
        .iter()
        .filter_map(|known| known.name.split_once('.'))
        .map(|(section, _)| section)
        .collect();
    sections.dedup();
    sections
        .into_iter()
        .map(|section| (edit_distance(name, section), section))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, section)| format!("; did you mean [{section}]?"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// A value and where it came from.
pub(crate) struct Sourced<T> {
    pub(crate) value: T,
    pub(crate) origin: Origin,
}

/// Every setting as read, typed but not yet validated. Type errors are already problems.
pub(crate) struct RawSettings {
    pub(crate) issuer: Option<Sourced<String>>,
    pub(crate) domain: Option<Sourced<String>>,
    pub(crate) authorization_server: Option<Sourced<String>>,
    pub(crate) client_id: Option<Sourced<String>>,
    pub(crate) client_secret: Option<Sourced<String>>,
    pub(crate) client_auth_method: Option<Sourced<String>>,
    pub(crate) client_private_key: Option<Sourced<String>>,
    pub(crate) client_private_key_file: Option<Sourced<String>>,
    pub(crate) client_key_id: Option<Sourced<String>>,
    pub(crate) client_signing_alg: Option<Sourced<String>>,
    pub(crate) redirect_uri: Option<Sourced<String>>,
    pub(crate) post_logout_redirect_uri: Option<Sourced<String>>,
    pub(crate) scopes: Option<Sourced<Vec<String>>>,
    pub(crate) audience: Option<Sourced<Vec<String>>>,
    pub(crate) client_ids: Option<Sourced<Vec<String>>>,
    pub(crate) any_client: Option<Sourced<bool>>,
    pub(crate) required_scopes: Option<Sourced<Vec<String>>>,
    pub(crate) leeway: Option<Sourced<Duration>>,
    pub(crate) max_token_age: Option<Sourced<Duration>>,
    pub(crate) cookie_secret: Option<Sourced<String>>,
    pub(crate) session_key: Option<Sourced<String>>,
    pub(crate) session_previous_keys: Option<Sourced<Vec<String>>>,
    pub(crate) session_redis_url: Option<Sourced<String>>,
    pub(crate) connect_timeout: Option<Sourced<Duration>>,
    pub(crate) timeout: Option<Sourced<Duration>>,
    pub(crate) max_response_bytes: Option<Sourced<u64>>,
    pub(crate) proxy: Option<Sourced<String>>,
    pub(crate) no_proxy: Option<Sourced<Vec<String>>>,
    pub(crate) extra_ca_file: Option<Sourced<String>>,
    pub(crate) jwks_min_ttl: Option<Sourced<Duration>>,
    pub(crate) jwks_max_ttl: Option<Sourced<Duration>>,
    pub(crate) jwks_refetch_cooldown: Option<Sourced<Duration>>,
    pub(crate) jwks_refresh_interval: Option<Sourced<Duration>>,
    /// The origin of every key that has a value, for [`crate::Settings::origin`].
    pub(crate) origins: Vec<(&'static str, Origin)>,
    /// The proxy variables of the environment (`HTTPS_PROXY`, `NO_PROXY`, ...), read only for
    /// `http.proxy = "environment"`.
    pub(crate) proxy_variables: Vec<(String, String)>,
}

impl RawSettings {
    /// Reads every known key from the merged tree; a value of the wrong type becomes a problem.
    pub(crate) fn read(
        tree: &Map<String, Value>,
        proxy_variables: Vec<(String, String)>,
        problems: &mut Vec<Problem>,
    ) -> Self {
        let mut reader = Reader { tree, problems };
        let origins = KEYS
            .iter()
            .filter_map(|key| Some((key.name, tag::parse(lookup(tree, key.name)?.origin()))))
            .collect();
        Self {
            issuer: reader.text("issuer"),
            domain: reader.text("domain"),
            authorization_server: reader.text("authorization_server"),
            client_id: reader.text("client_id"),
            client_secret: reader.text("client_secret"),
            client_auth_method: reader.text("client_auth_method"),
            client_private_key: reader.text("client_private_key"),
            client_private_key_file: reader.text("client_private_key_file"),
            client_key_id: reader.text("client_key_id"),
            client_signing_alg: reader.text("client_signing_alg"),
            redirect_uri: reader.text("redirect_uri"),
            post_logout_redirect_uri: reader.text("post_logout_redirect_uri"),
            scopes: reader.list("scopes"),
            audience: reader.list("audience"),
            client_ids: reader.list("client_ids"),
            any_client: reader.flag("any_client"),
            required_scopes: reader.list("required_scopes"),
            leeway: reader.seconds("leeway_secs"),
            max_token_age: reader.seconds("max_token_age_secs"),
            cookie_secret: reader.text("cookie_secret"),
            session_key: reader.text("session.key"),
            session_previous_keys: reader.list("session.previous_keys"),
            session_redis_url: reader.text("session.redis_url"),
            connect_timeout: reader.seconds("http.connect_timeout_secs"),
            timeout: reader.seconds("http.timeout_secs"),
            max_response_bytes: reader.count("http.max_response_bytes"),
            proxy: reader.text("http.proxy"),
            no_proxy: reader.list("http.no_proxy"),
            extra_ca_file: reader.text("http.extra_ca_file"),
            jwks_min_ttl: reader.seconds("jwks.min_ttl_secs"),
            jwks_max_ttl: reader.seconds("jwks.max_ttl_secs"),
            jwks_refetch_cooldown: reader.seconds("jwks.refetch_cooldown_secs"),
            jwks_refresh_interval: reader.seconds("jwks.refresh_interval_secs"),
            origins,
            proxy_variables,
        }
    }
}

/// Walks `a.b` paths through nested tables, keeping each value's origin.
fn lookup<'t>(tree: &'t Map<String, Value>, key: &str) -> Option<&'t Value> {
    match key.split_once('.') {
        None => tree.get(key),
        Some((head, rest)) => match &tree.get(head)?.kind {
            ValueKind::Table(table) => lookup(table, rest),
            _ => None,
        },
    }
}

struct Reader<'a> {
    tree: &'a Map<String, Value>,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn read<T>(
        &mut self,
        key: &'static str,
        expected: &str,
        convert: impl FnOnce(&ValueKind) -> Option<T>,
    ) -> Option<Sourced<T>> {
        let value = lookup(self.tree, key)?;
        let origin = tag::parse(value.origin());
        if let Some(converted) = convert(&value.kind) {
            return Some(Sourced { value: converted, origin });
        }
        let is_secret = KEYS.iter().any(|known| known.name == key && known.secret);
        let found = if is_secret { "a secret value".to_owned() } else { describe(&value.kind) };
        self.problems.push(Problem::new(
            key,
            Some(origin),
            format!("expected {expected}, found {found}"),
        ));
        None
    }

    fn text(&mut self, key: &'static str) -> Option<Sourced<String>> {
        self.read(key, "text", |kind| match kind {
            ValueKind::String(text) => Some(text.clone()),
            _ => None,
        })
    }

    /// A list: an array of strings, or one string split at commas and whitespace (as the
    /// environment gives it: `OKTA_SCOPES="openid profile"`).
    fn list(&mut self, key: &'static str) -> Option<Sourced<Vec<String>>> {
        self.read(
            key,
            "a list of text (or one comma- or space-separated string)",
            |kind| match kind {
                ValueKind::String(text) => Some(
                    text.split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|item| !item.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                ValueKind::Array(items) => items
                    .iter()
                    .map(|item| match &item.kind {
                        ValueKind::String(text) => Some(text.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            },
        )
    }

    /// `true` or `false`, or text holding one (the environment).
    fn flag(&mut self, key: &'static str) -> Option<Sourced<bool>> {
        self.read(key, "true or false", |kind| match kind {
            ValueKind::Boolean(flag) => Some(*flag),
            ValueKind::String(text) => match text.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// A duration in seconds: a whole or decimal number, or text holding one (the environment).
    fn seconds(&mut self, key: &'static str) -> Option<Sourced<Duration>> {
        self.read(key, "a number of seconds (0 or more)", |kind| match kind {
            ValueKind::I64(n) => Some(Duration::from_secs(u64::try_from(*n).ok()?)),
            ValueKind::U64(n) => Some(Duration::from_secs(*n)),
            ValueKind::Float(n) => Duration::try_from_secs_f64(*n).ok(),
            ValueKind::String(text) => Duration::try_from_secs_f64(text.trim().parse().ok()?).ok(),
            _ => None,
        })
    }

    /// A whole number, or text holding one (the environment).
    fn count(&mut self, key: &'static str) -> Option<Sourced<u64>> {
        self.read(key, "a whole number (0 or more)", |kind| match kind {
            ValueKind::I64(n) => u64::try_from(*n).ok(),
            ValueKind::U64(n) => Some(*n),
            ValueKind::String(text) => text.trim().parse().ok(),
            _ => None,
        })
    }
}

fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Nil => "nothing".to_owned(),
        ValueKind::Boolean(value) => format!("{value}"),
        ValueKind::I64(value) => format!("{value}"),
        ValueKind::I128(value) => format!("{value}"),
        ValueKind::U64(value) => format!("{value}"),
        ValueKind::U128(value) => format!("{value}"),
        ValueKind::Float(value) => format!("{value}"),
        ValueKind::String(value) => format!("{value:?}"),
        ValueKind::Table(_) => "a table".to_owned(),
        ValueKind::Array(_) => "a list".to_owned(),
    }
}
