//! The embedded authorization server and resource server, and the axum
//! router that serves them beside the Leptos pages. Only the server build
//! compiles this module.

pub mod bearer;
pub mod classroom;
pub mod client_auth;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod fixtures;
pub mod fuzzing;
pub mod grants;
pub mod jwt;
pub mod lab;
pub mod limits;
pub mod resource;
pub mod runs;
pub mod store;
pub mod util;

use crate::app::{shell, App};
use axum::extract::FromRef;
use axum::http::{header, HeaderValue, Request};
use axum::Router;
use config::Config;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use store::{
    ClientStore, CodeStore, MemoryClients, MemoryCodes, MemoryTokens, MemoryUsers, Sweep, TokenStore, UserStore,
};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Everything the servers hold: configuration and one store per concern.
pub struct Servers {
    pub config: Config,
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub codes: Arc<dyn CodeStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub pending: endpoints::authorize::PendingStore,
    pub devices: Arc<store::Devices>,
    pub statuses: resource::Statuses,
    pub lab: lab::LabClient,
    pub runs: runs::Runs,
    /// The lab's own HTTP client (its apps and its autoplay browser): no
    /// automatic redirects, as RFC 6749 §10.6 wants of clients.
    pub lab_http: reqwest::Client,
    pub limits: limits::Limits,
    pub classes: classroom::Classes,
    sweepers: Vec<Arc<dyn Sweep>>,
}

impl Servers {
    pub fn new(config: Config) -> Arc<Self> {
        let clients = Arc::new(MemoryClients::new(config.max_clients));
        for client in fixtures::demo_clients(&config) {
            // The store is empty and the cap far above four: cannot fail.
            let _ = clients.insert(client, None);
        }
        let users = Arc::new(MemoryUsers::new(fixtures::demo_users(), config.max_failed_logins, config.lockout));
        let codes = Arc::new(MemoryCodes::new(config.max_codes));
        let tokens = Arc::new(MemoryTokens::new(config.max_tokens));
        let pending = endpoints::authorize::PendingStore::new(config.max_pending);
        let lab = lab::LabClient::new(&config);
        let lab_http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let devices = Arc::new(store::Devices::new(config.max_pending, config.device_ttl, config.device_interval));
        let sweepers: Vec<Arc<dyn Sweep>> = vec![clients.clone(), codes.clone(), tokens.clone(), devices.clone()];
        Arc::new(Self {
            statuses: resource::Statuses::new(config.max_statuses_per_user),
            runs: runs::Runs::new(config.max_runs, config.run_ttl),
            limits: limits::Limits::new(&config),
            classes: classroom::Classes::default(),
            lab_http,
            config,
            clients,
            users,
            codes,
            tokens,
            pending,
            devices,
            lab,
            sweepers,
        })
    }

    fn sweep(&self) {
        let now = Instant::now();
        for s in &self.sweepers {
            s.sweep(now);
        }
        self.pending.sweep(now);
        self.lab.sweep(now);
        self.runs.sweep(now);
        self.limits.sweep();
        self.classes.sweep(now);
    }
}

/// Sweeps expired state every few seconds for as long as the servers live.
fn spawn_sweeper(servers: Weak<Servers>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            match servers.upgrade() {
                Some(s) => s.sweep(),
                None => break,
            }
        }
    });
}

/// Leptos answers 500 when a server function's arguments do not
/// deserialize; that is the caller's fault, so it becomes 400.
async fn bad_server_fn_input_is_400(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_fn = req.uri().path().starts_with("/lab/fn/");
    let res = next.run(req).await;
    if !is_fn || res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|") {
        parts.status = axum::http::StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Every request's first stop: the capture layer records it if it belongs
/// to a run; limits may refuse it; every response says `nosniff`. One
/// middleware rather than three keeps the token endpoint's path short.
async fn front(
    axum::extract::State(s): axum::extract::State<Arc<Servers>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let inner = |req| async {
        let mut res = limits::guard(&s, req, next).await;
        res.headers_mut().entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
        res
    };
    if runs::capture::may_belong_to_a_run(&req) {
        // Recording holds a lot across its awaits; boxed, so that the
        // future of every other request stays small.
        Box::pin(runs::capture::capture(&s, req, inner)).await
    } else {
        inner(req).await
    }
}

/// The router's state: the Leptos options for the pages, and the servers.
/// Both behind an `Arc`, since axum clones the state for every request.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: Arc<LeptosOptions>,
    pub servers: Arc<Servers>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}

impl FromRef<AppState> for Arc<Servers> {
    fn from_ref(state: &AppState) -> Self {
        state.servers.clone()
    }
}

/// Builds the whole app: OAuth endpoints, the API, the lab's client, the
/// Leptos pages and static files, behind tracing, body-limit and timeout
/// layers. Must be called inside a tokio runtime, and served with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that limits
/// know the client's address.
pub fn app(config: Config, leptos_options: LeptosOptions) -> Router {
    let servers = Servers::new(config);
    spawn_sweeper(Arc::downgrade(&servers));
    limits::spawn_memory_gauge(Arc::downgrade(&servers));
    // The JWT signing key, made off the request path: RSA key generation
    // takes a moment and would otherwise stall the first JWT request.
    tokio::task::spawn_blocking(|| {
        let _ = jwt::signer();
    });
    let state = AppState { leptos_options: Arc::new(leptos_options), servers: servers.clone() };
    let routes = generate_route_list(App);
    let limits = &servers.config;
    // The pages: Leptos routes, server functions and static files. Only
    // these are compressed, their HTML, assets and server functions' JSON
    // (a run's rendered view is tens of kilobytes; OAuth and API traffic,
    // the consent and device pages included, stays byte for byte what the
    // capture layer records), and only server functions need their
    // argument errors turned into 400.
    let pages = Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell((*options).clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(bad_server_fn_input_is_400))
        .layer(CompressionLayer::new().compress_when(
            |status: axum::http::StatusCode,
             _: axum::http::Version,
             h: &axum::http::HeaderMap,
             _: &axum::http::Extensions| {
                let ct = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
                status.is_success()
                    && [
                        "application/wasm",
                        "text/javascript",
                        "application/javascript",
                        "text/css",
                        "text/html",
                        "application/json",
                    ]
                    .iter()
                    .any(|t| ct.starts_with(t))
            },
        ));
    let routes = Router::new()
        .merge(endpoints::routes())
        .merge(resource::routes())
        .merge(lab::routes())
        .merge(runs::client::routes())
        .merge(classroom::routes())
        .merge(pages)
        .with_state(state);
    // The layers every request passes, outermost first, wrapped once around
    // the whole router rather than around each route, so a request pays
    // for each layer once. Around the router, not inside it (one
    // `Router::layer`): the router finishes a response (`Allow` on a 405,
    // no body for HEAD) before `front` records it, so a run's record holds
    // the response as it leaves.
    let service = ServiceBuilder::new()
        .layer(
            // One line per request: method, path (never the query, which
            // can carry codes), status and latency.
            TraceLayer::new_for_http()
                .make_span_with(
                    |req: &Request<_>| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
                )
                .on_request(())
                .on_response(|res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1000.0,
                        "response"
                    );
                })
                .on_failure(
                    |class: tower_http::classify::ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span| {
                        // A 503 is the designed answer of a full store or the
                        // memory ceiling; under a flood a line each would be
                        // a flood of its own.
                        let refusal = matches!(class, tower_http::classify::ServerErrorsFailureClass::StatusCode(c) if c.as_u16() == 503);
                        if refusal {
                            tracing::debug!(%class, latency_ms = latency.as_secs_f64() * 1000.0, "refused");
                        } else {
                            tracing::warn!(%class, latency_ms = latency.as_secs_f64() * 1000.0, "response failed");
                        }
                    },
                ),
        )
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .map_request(|req: Request<tower_http::body::Limited<axum::body::Body>>| req.map(axum::body::Body::new))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        // A panic would be a bug; should one happen, answer 500 rather than
        // drop the connection.
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(servers.clone(), front))
        .service(routes);
    Router::new().fallback_service(service)
}
