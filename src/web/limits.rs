//! Limits that keep one client, or a flood, from taking the lab from
//! everyone else: sign-ins, registrations and new runs are rate-limited per
//! client address (tower_governor), and requests that would create state are
//! refused with 503 while the process is above its memory ceiling.

use crate::lab::capture::RunOf;
use crate::oauth::Requester;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use leptos::prelude::ServerFnError;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorEncoding};
use leptos::server_fn::ContentType;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use std::time::Duration;
use tower::{Layer, Service, ServiceExt};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::{KeyExtractor, PeerIpKeyExtractor, SmartIpKeyExtractor};
use tower_governor::{GovernorError, GovernorLayer};

/// Whom a request is counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// A client address.
    Addr(IpAddr),
    /// Loopback calls the capture layer filed under a run: the lab's own
    /// calls for it (its registration, its autoplay browser's authorization
    /// request and sign-in). Each run makes one of each, and runs
    /// themselves are limited by their learner's address.
    Run(String),
}

/// The client's address: the peer's, or the proxy's `X-Forwarded-For` /
/// `Forwarded` when the lab is told it runs behind one.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress {
    pub behind_proxy: bool,
}

impl KeyExtractor for ClientAddress {
    type Key = Who;

    fn extract<T>(&self, req: &Request<T>) -> Result<Who, GovernorError> {
        // The lab's own listener names the peer in its `Peer`; any other,
        // as axum does.
        let peer = match req.extensions().get::<axum::extract::ConnectInfo<crate::lab::wire::Peer>>() {
            Some(c) => Some(c.0.addr.ip()),
            None => PeerIpKeyExtractor.extract(req).ok(),
        };
        let forwarded = if self.behind_proxy { SmartIpKeyExtractor.extract(req).ok() } else { None };
        let addr = forwarded.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let from_the_lab = addr.is_loopback() && peer.is_some_and(|p| p.is_loopback());
        if from_the_lab {
            if let Some(RunOf(run)) = req.extensions().get::<RunOf>() {
                return Ok(Who::Run(run.clone()));
            }
        }
        Ok(Who::Addr(addr))
    }
}

/// Sign-ins, registrations, authorization requests (each holds a sign-in
/// page for a while) and the starts of runs and of the home demo.
fn is_limited(method: &Method, path: &str) -> bool {
    use crate::oauth::endpoints::{AUTHORIZE, REGISTER};
    match *method {
        Method::POST => {
            path == REGISTER
                || path == AUTHORIZE
                || path == "/lab/fn/start_run"
                || path == "/lab/fn/start_scenario"
                || path == crate::oauth::endpoints::device::DEVICE_AUTHORIZATION
                || path == crate::oauth::endpoints::device::VERIFICATION
                || path == "/lab/fn/open_class"
                || path == "/lab/fn/start_own_app"
                // Each makes the lab call a learner's own provider.
                || path == "/lab/fn/start_own_provider"
                || path == "/lab/fn/own_provider_act"
                || (path.starts_with("/lab/runs/") && path.ends_with("/password"))
        }
        // The verification page tells a live user code from a wrong one.
        Method::GET => {
            path == AUTHORIZE || path == "/lab/start" || path == crate::oauth::endpoints::device::VERIFICATION
        }
        _ => false,
    }
}

/// Requests that make the servers hold something new.
fn creates_state(method: &Method, path: &str) -> bool {
    use crate::oauth::endpoints::TOKEN;
    is_limited(method, path) || (*method == Method::POST && path == TOKEN)
}

type Config = GovernorConfig<ClientAddress, governor::middleware::NoOpMiddleware>;

pub struct Limits {
    behind_proxy: bool,
    governor: Option<Arc<Config>>,
    per_minute: u32,
    burst: u32,
    ceiling: Option<u64>,
    rss: AtomicU64,
}

impl Limits {
    pub fn new(c: &super::config::Config) -> Self {
        let governor = (c.rate_per_minute > 0).then(|| {
            let mut b = GovernorConfigBuilder::default().key_extractor(ClientAddress { behind_proxy: c.behind_proxy });
            // At least a microsecond: a huge rate must not make the period 0.
            let period = (60_000_000 / u64::from(c.rate_per_minute)).max(1);
            b.period(Duration::from_micros(period)).burst_size(c.rate_burst.max(1));
            // Both numbers are non-zero, so the builder accepts them.
            Arc::new(b.finish().expect("rate limit with a non-zero period and burst"))
        });
        Self {
            behind_proxy: c.behind_proxy,
            governor,
            per_minute: c.rate_per_minute,
            burst: c.rate_burst.max(1),
            ceiling: c.memory_ceiling,
            rss: AtomicU64::new(0),
        }
    }

    /// Forgets addresses whose allowance is whole again.
    pub fn sweep(&self) {
        if let Some(g) = &self.governor {
            g.limiter().retain_recent();
            g.limiter().shrink_to_fit();
        }
    }

    /// Who a request comes from, for the servers' lockout and per-party
    /// caps: the client address, or the run for the lab's own calls, as
    /// the rate limits count it.
    pub fn requester<T>(&self, req: &Request<T>) -> Requester {
        match (ClientAddress { behind_proxy: self.behind_proxy }).extract(req) {
            Ok(Who::Run(run)) => Requester::Run(run),
            Ok(Who::Addr(addr)) => Requester::Addr(addr),
            Err(_) => Requester::Unknown,
        }
    }

    pub fn rss(&self) -> u64 {
        self.rss.load(Ordering::Relaxed)
    }

    pub fn over_ceiling(&self) -> bool {
        self.ceiling.is_some_and(|c| self.rss() > c)
    }
}

/// Reads the resident set size four times a second, for the ceiling.
pub fn spawn_memory_gauge(limits: Weak<Limits>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let Some(limits) = limits.upgrade() else { break };
            if let Some(m) = memory_stats::memory_stats() {
                limits.rss.store(m.physical_mem as u64, Ordering::Relaxed);
            }
        }
    });
}

/// An explanation in the form the caller reads: the server function
/// format on `/lab/fn/`, OAuth's error JSON elsewhere.
fn refusal(status: StatusCode, path: &str, retry_after: u64, code: &str, why: String) -> Response<Body> {
    let (body, content_type) = if path.starts_with("/lab/fn/") {
        // Leptos's own encoding of a server function's error, which the
        // page's call decodes.
        {
            let error: ServerFnError = ServerFnError::ServerError(why);
            (error.ser(), ServerFnErrorEncoding::CONTENT_TYPE)
        }
    } else {
        (serde_json::json!({ "error": code, "error_description": why }).to_string().into(), "application/json")
    };
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    res
}

/// Sheds state-creating requests above the memory ceiling, then runs
/// limited requests through the governor on their way to `next`.
pub async fn guard<S>(limits: &Limits, req: Request, next: S) -> Response<Body>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let (creates, limited) =
        (creates_state(req.method(), req.uri().path()), is_limited(req.method(), req.uri().path()));
    let over = creates && limits.over_ceiling();
    let governed = limited && limits.governor.is_some();
    if !over && !governed {
        return match next.oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
    }
    // Boxed: most requests take the path above, and keep a small future.
    Box::pin(refuse_or_limit(limits, req, next, over)).await
}

/// `over`: the request would create state above the memory ceiling; else
/// it is limited and the governor is on.
async fn refuse_or_limit<S>(limits: &Limits, req: Request, next: S, over: bool) -> Response<Body>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let path = req.uri().path().to_string();
    if over {
        tracing::warn!(rss = limits.rss(), %path, "over the memory ceiling: refusing new state");
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            &path,
            10,
            "temporarily_unavailable",
            "The lab is at its memory ceiling and takes no new sign-ins, tokens, clients or runs for now. \
             Everything it already holds still works, and old state expires within minutes; try again shortly."
                .into(),
        );
    }
    let Some(governor) = limits.governor.clone() else {
        return match next.oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
    };
    let (per_minute, burst) = (limits.per_minute, limits.burst);
    let path_for_error = path.clone();
    let limited = GovernorLayer::new(governor)
        .error_handler(move |e| match e {
            GovernorError::TooManyRequests { wait_time, .. } => refusal(
                StatusCode::TOO_MANY_REQUESTS,
                &path_for_error,
                wait_time.max(1),
                "too_many_requests",
                format!(
                    "Too many sign-ins, authorization requests, registrations or new runs from your address: the lab allows {burst} at once, \
                     then {per_minute} a minute. Try again in {} s.",
                    wait_time.max(1)
                ),
            ),
            other => other.into(),
        })
        .layer(next);
    match limited.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}
