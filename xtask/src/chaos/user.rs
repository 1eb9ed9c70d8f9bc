//! One simulated user of a chaos run: a fresh browser (okta-e2e's `UserAgent`, its own cookie
//! jar) per sign-in, which signs in through the proxy and Okta, browses protected pages (some
//! two at once, as a browser loads two tabs, so that two replicas refresh the same session
//! together), signs out, and replays its old session cookie. Every navigation becomes a
//! [`Record`]; every page is checked for the user's own identity.

use std::sync::Mutex;
use std::time::Duration;

use okta_e2e::{Page, UserAgent};
use tokio::time::Instant;
use url::Url;

use super::proxy::REPLICA_HEADER;
use super::verdict::{Action, Record, Seen};

/// The password of every chaos user.
pub(crate) const PASSWORD: &str = "chaos-password-0123456789";
/// How many times an action refused with a 503 is tried again.
const ATTEMPTS: usize = 40;

/// The username of user `index`.
pub(crate) fn username(index: usize) -> String {
    format!("chaos-user-{index}@example.com")
}

/// The display name of user `index` (the home page's greeting).
pub(crate) fn family_name(index: usize) -> String {
    format!("User{index}")
}

/// What every user shares: where to go, the clock of the run, and the records.
pub(crate) struct Shared {
    /// The proxy's origin.
    pub(crate) proxy: Url,
    /// The authorization server's `/authorize` (a navigation stops before it: sent to sign in).
    pub(crate) authorize: Url,
    /// The start of the load.
    pub(crate) started: Instant,
    /// No new session starts after this; sessions end by it.
    pub(crate) deadline: Instant,
    /// How long one session browses.
    pub(crate) session_length: Duration,
    pub(crate) records: Mutex<Vec<Record>>,
    pub(crate) sessions: std::sync::atomic::AtomicU64,
    /// A client for the replays (no cookie jar, no redirects).
    pub(crate) raw: reqwest::Client,
}

impl Shared {
    fn record(&self, record: Record) {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record);
    }

    fn at(&self, instant: Instant) -> Duration {
        instant.duration_since(self.started)
    }

    fn url(&self, path: &str) -> Url {
        // A constant relative path on a valid origin: joining cannot fail.
        self.proxy.join(path).expect("a path")
    }
}

/// One sign-in, browsing and sign-out of user `index`; `sub` is the user's id once known.
pub(crate) async fn session(shared: &Shared, index: usize, sub: &mut Option<String>) {
    let session = shared.sessions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let me = Me { shared, index, session, email: username(index), name: display_name(index) };
    let Ok(agent) = UserAgent::new() else { return };
    let agent = agent.stopping_before(shared.authorize.clone()).accepting_html();
    let Some(mut page) = me.sign_in(&agent, sub).await else { return };

    let end = (Instant::now() + shared.session_length).min(shared.deadline);
    let mut round = index;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(150 + (round as u64 * 37) % 300)).await;
        round += 1;
        let pages = if round.is_multiple_of(3) {
            // Two pages at once: with round-robin routing they reach both replicas.
            let (a, b) = tokio::join!(
                me.visit(&agent, Action::Page, "/profile", sub.as_deref()),
                me.visit(&agent, Action::Page, "/", sub.as_deref())
            );
            vec![a, b]
        } else {
            let path = if round.is_multiple_of(2) { "/profile" } else { "/" };
            vec![me.visit(&agent, Action::Page, path, sub.as_deref()).await]
        };
        for (seen, visited) in pages {
            if matches!(seen, Seen::SentToSignIn | Seen::SignedOutPage) {
                return; // the session is lost (recorded); the user starts over later
            }
            if let (Seen::OwnIdentity, Some(visited)) = (seen, visited) {
                page = visited;
            }
        }
    }
    me.sign_out(&agent, &page).await;
}

struct Me<'a> {
    shared: &'a Shared,
    index: usize,
    session: u64,
    email: String,
    name: String,
}

impl Me<'_> {
    /// Signs in; returns the profile page, or `None` when the sign-in did not succeed.
    async fn sign_in(&self, agent: &UserAgent, sub: &mut Option<String>) -> Option<Page> {
        let login = self.shared.url("/login?return_to=%2Fprofile");
        for _ in 0..ATTEMPTS {
            let start = Instant::now();
            let result = async {
                let page = agent.open(&login).await?;
                let Some(authorize) = page.stopped_before().cloned() else {
                    return Ok(page);
                };
                let page = agent.open(&authorize).await?;
                if !page.has_element("username") {
                    return Ok(page);
                }
                let fields = [("username", self.email.as_str()), ("password", PASSWORD)];
                agent.submit(&page, Some("submit"), &fields).await
            }
            .await;
            if sub.is_none()
                && let Ok(page) = &result
                && page.text_of("profile-email").as_deref() == Some(self.email.as_str())
            {
                *sub = page.text_of("profile-sub");
            }
            let (seen, page) = self.note(Action::SignIn, start, result, sub.as_deref());
            match seen {
                Seen::OwnIdentity => return page,
                Seen::Status { status: 503, .. } | Seen::NoAnswer
                    if Instant::now() < self.shared.deadline =>
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                _ => return None,
            }
        }
        None
    }

    async fn visit(
        &self,
        agent: &UserAgent,
        action: Action,
        path: &str,
        sub: Option<&str>,
    ) -> (Seen, Option<Page>) {
        let start = Instant::now();
        let result = agent.open(&self.shared.url(path)).await;
        self.note(action, start, result, sub)
    }

    /// Submits the sign-out form of `page` until it works (503s during an outage are retried),
    /// then replays the old session cookie.
    async fn sign_out(&self, agent: &UserAgent, page: &Page) {
        let cookie = agent.cookie_header(&self.shared.proxy);
        for _ in 0..ATTEMPTS {
            let start = Instant::now();
            let result = agent.submit(page, Some("logout"), &[]).await;
            let (seen, _) = self.note(Action::SignOut, start, result, None);
            match seen {
                Seen::Status { status: 503, .. } | Seen::NoAnswer => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                _ => break,
            }
        }
        let Some(cookie) = cookie else { return };
        let start = Instant::now();
        let answer = self
            .shared
            .raw
            .get(self.shared.url("/profile"))
            .header("accept", "text/html")
            .header("cookie", cookie)
            .send()
            .await;
        let replica = answer.as_ref().ok().and_then(|answer| {
            answer.headers().get(REPLICA_HEADER)?.to_str().ok()?.parse::<usize>().ok()
        });
        let seen = match answer {
            Err(_) => Seen::NoAnswer,
            Ok(answer) => {
                let status = answer.status().as_u16();
                let location = answer
                    .headers()
                    .get("location")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let retry_after = answer.headers().contains_key("retry-after");
                if status == 303 && location.starts_with("/login") {
                    Seen::SentToSignIn
                } else if status == 200 {
                    // Whoever it shows: a 200 for a signed-out session is wrong.
                    let body = answer.text().await.unwrap_or_default();
                    if body.contains(&self.email) { Seen::OwnIdentity } else { Seen::OtherIdentity }
                } else {
                    Seen::Status { status, retry_after }
                }
            }
        };
        self.push(Action::Replay, start, replica, seen);
    }

    /// Records what a navigation ended with, and returns it with the page.
    fn note(
        &self,
        action: Action,
        start: Instant,
        result: Result<Page, okta_e2e::UserAgentError>,
        sub: Option<&str>,
    ) -> (Seen, Option<Page>) {
        let Ok(page) = result else {
            self.push(action, start, None, Seen::NoAnswer);
            return (Seen::NoAnswer, None);
        };
        let replica = page.header(REPLICA_HEADER).and_then(|value| value.parse::<usize>().ok());
        let seen = self.identify(&page, sub);
        self.push(action, start, replica, seen);
        (seen, Some(page))
    }

    fn push(&self, action: Action, start: Instant, replica: Option<usize>, seen: Seen) {
        self.shared.record(Record {
            user: self.index,
            session: self.session,
            action,
            start: self.shared.at(start),
            end: self.shared.at(Instant::now()),
            replica,
            seen,
        });
    }

    /// Whose page this is: the profile's email and id, or the home page's greeting.
    fn identify(&self, page: &Page, sub: Option<&str>) -> Seen {
        if page.stopped_before().is_some() {
            return Seen::SentToSignIn;
        }
        if page.status() != 200 {
            return Seen::Status {
                status: page.status(),
                retry_after: page.header("retry-after").is_some(),
            };
        }
        if let Some(email) = page.text_of("profile-email") {
            let same_sub = match (sub, page.text_of("profile-sub")) {
                (Some(expected), Some(shown)) => expected == shown,
                (None, _) => true,
                (Some(_), None) => false,
            };
            return if email == self.email && same_sub {
                Seen::OwnIdentity
            } else {
                Seen::OtherIdentity
            };
        }
        match page.text_of("greeting") {
            Some(greeting) if greeting == format!("Signed in as {}.", self.name) => {
                Seen::OwnIdentity
            }
            Some(greeting) if greeting == "You are not signed in." => Seen::SignedOutPage,
            Some(_) => Seen::OtherIdentity,
            None => Seen::Status { status: 200, retry_after: false },
        }
    }
}

/// `Chaos User7`: the name the home page greets user 7 with.
fn display_name(index: usize) -> String {
    format!("Chaos {}", family_name(index))
}
