//! The process: the axum router that serves the authorization server, the
//! resource server, the lab and the Leptos pages, the layers every request
//! passes, rate limits and the memory ceiling, configuration, and the fuzz
//! entry point. Only the server build compiles this module.

pub mod cli;
pub mod config;
pub mod fuzzing;
pub mod limits;

use crate::lab::{fixtures, Lab};
use crate::oauth::AuthServer;
use crate::pages::app::{shell, App};
use crate::resource::ResourceServer;
use axum::extract::FromRef;
use axum::http::{header, HeaderValue, Request};
use axum::Router;
use config::Config;
use leptos::prelude::{LeptosOptions, ServerFnError};
use leptos::server_fn::error::ServerFnErrorEncoding;
use leptos::server_fn::Decodes;
use leptos_axum::{generate_route_list, LeptosRoutes};
use limits::Limits;
use std::convert::Infallible;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Sweeps expired state every few seconds for as long as the servers live.
fn spawn_sweeper(auth: Weak<AuthServer>, lab: Weak<Lab>, limits: Weak<Limits>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            let (Some(auth), Some(lab), Some(limits)) = (auth.upgrade(), lab.upgrade(), limits.upgrade()) else {
                break;
            };
            let now = Instant::now();
            auth.sweep(now);
            lab.sweep(now);
            limits.sweep();
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
    let error = <ServerFnErrorEncoding as Decodes<ServerFnError>>::decode(bytes.clone());
    if matches!(error, Ok(ServerFnError::Args(_) | ServerFnError::Deserialization(_))) {
        parts.status = axum::http::StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Every request's first stop: the capture layer records it if it belongs
/// to a run; limits may refuse it; every response says `nosniff`; a
/// server error other than a designed 503 is logged. One service rather
/// than a `from_fn` middleware each keeps the token endpoint's path short:
/// no boxed `Next`, no copy of the router's state per request.
///
/// `token` is the token endpoint's POST handler as a service of its own
/// (`Handler::with_state`): a token request, the one request a client
/// makes for every token, goes to it straight, past the router's path
/// match, its method router and its boxed route. Every other request,
/// the token endpoint's GET included, goes through the router (`inner`).
#[derive(Clone)]
struct Front<S, T> {
    inner: S,
    token: T,
    lab: Arc<Lab>,
    limits: Arc<Limits>,
}

impl<S: Served, T: Served> tower::Service<axum::extract::Request> for Front<S, T> {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        // `guard` waits for the inner service itself (`oneshot`).
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        let (lab, limits) = (self.lab.clone(), self.limits.clone());
        let token_request =
            req.method() == axum::http::Method::POST && req.uri().path() == crate::oauth::endpoints::TOKEN;
        let next = if token_request {
            tower::util::Either::Left(self.token.clone())
        } else {
            tower::util::Either::Right(self.inner.clone())
        };
        Box::pin(async move {
            // For the log line of a failure: the path only, never the
            // query, which can carry codes.
            let uri = req.uri().clone();
            let recording = !limits.over_ceiling();
            let run = |mut req: axum::extract::Request| async move {
                let who = limits.requester(&req);
                req.extensions_mut().insert(who);
                let mut res = limits::guard(&limits, req, next).await;
                res.headers_mut().entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
                res
            };
            let res = if crate::lab::capture::may_belong_to_a_run(&lab, &req) {
                // Recording holds a lot across its awaits; boxed, so that the
                // future of every other request stays small.
                // Above the memory ceiling, runs record nothing new.
                Box::pin(crate::lab::capture::capture(&lab, req, run, recording)).await
            } else {
                run(req).await
            };
            // A 503 is the designed answer of a full store or the memory
            // ceiling; under a flood a line each would be a flood of its own.
            let status = res.status();
            if status.is_server_error() && status != axum::http::StatusCode::SERVICE_UNAVAILABLE {
                tracing::warn!(status = status.as_u16(), path = uri.path(), "response failed");
            }
            Ok(res)
        })
    }
}

/// The router's state, by owner: the Leptos options for the pages, the
/// authorization server, the resource server, the lab and the limits. Each
/// behind an `Arc`, since axum clones the state for every request; a
/// handler takes only the part it touches (`FromRef`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: Arc<LeptosOptions>,
    pub auth: Arc<AuthServer>,
    pub resource: Arc<ResourceServer>,
    pub lab: Arc<Lab>,
    pub limits: Arc<Limits>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}

impl AppState {
    /// The servers and the lab over them, wired together: the run store
    /// answers the servers' `Hooks`.
    pub fn new(
        config: &Config,
        leptos_options: LeptosOptions,
        archive: Option<Arc<crate::lab::archive::Archive>>,
    ) -> Self {
        let lab_settings = config.lab();
        let runs = Lab::runs(&lab_settings);
        let settings = config.oauth();
        // With a database, what the server issues is kept there, shared
        // by every replica on it.
        let stores = match &archive {
            Some(archive) => {
                crate::oauth::store::sql::Sql::new(archive.pool(), crate::oauth::store::sql::Caps::of(&settings))
                    .stores()
            }
            None => crate::oauth::Stores::memory(&settings),
        };
        let auth = AuthServer::with_stores(
            settings,
            stores,
            fixtures::demo_clients(&lab_settings),
            fixtures::demo_users(),
            runs.clone(),
        );
        let resource = ResourceServer::new(&auth, config.max_statuses_per_user);
        let lab = Lab::new(lab_settings, runs, auth.clone(), archive);
        Self { leptos_options: Arc::new(leptos_options), auth, resource, lab, limits: Arc::new(Limits::new(config)) }
    }
}

/// The pages: Leptos routes, server functions and static files. Only
/// these are compressed, their HTML, assets and server functions' JSON (a
/// run's rendered view is tens of kilobytes; OAuth and API traffic, the
/// consent and device pages included, stays byte for byte what the capture
/// layer records), and only server functions need their argument errors
/// turned into 400.
fn pages(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(App);
    Router::new()
        // The pages' server functions reach the lab through its context.
        .leptos_routes_with_context(
            state,
            routes,
            {
                let lab = state.lab.clone();
                move || leptos::prelude::provide_context(lab.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell((*options).clone())
            },
        )
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
        ))
}

/// Builds the whole app: OAuth endpoints, the API, the lab's client, the
/// Leptos pages and static files, behind tracing, body-limit and timeout
/// layers. Must be called inside a tokio runtime, and served with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that limits
/// know the client's address, or on a `lab::wire::Listener` with
/// `…::<lab::wire::Peer>()`, so that recorded requests also keep their
/// headers as sent (`axum::ServiceExt` gives both).
pub fn app(config: Config, leptos_options: LeptosOptions) -> impl Served {
    app_with_archive(config, leptos_options, None)
}

/// A service that answers requests as `axum::serve` takes it: what `app`
/// returns, and the two `Front` passes requests to.
pub trait Served:
    tower::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Served for S where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The app, with recorded runs kept in `archive` once they leave memory
/// (`--database`).
pub fn app_with_archive(
    config: Config,
    leptos_options: LeptosOptions,
    archive: Option<Arc<crate::lab::archive::Archive>>,
) -> impl Served {
    let state = AppState::new(&config, leptos_options, archive);
    state.lab.keep_archived();
    spawn_sweeper(Arc::downgrade(&state.auth), Arc::downgrade(&state.lab), Arc::downgrade(&state.limits));
    limits::spawn_memory_gauge(Arc::downgrade(&state.limits));
    // The JWT signing key, made off the request path: RSA key generation
    // takes a moment and would otherwise stall the first JWT request.
    tokio::task::spawn_blocking(|| {
        let _ = crate::oauth::jwt::signer();
    });
    let limits = &config;
    let pages = pages(&state);
    let routes = Router::new()
        .merge(crate::oauth::endpoints::routes())
        .merge(crate::resource::routes())
        .merge(crate::lab::routes())
        .merge(pages)
        .with_state(state.clone());
    // The layers every request passes, outermost first, wrapped once around
    // the whole router rather than around each route, so a request pays
    // for each layer once. Around the router, not inside it (one
    // `Router::layer`): the router finishes a response (`Allow` on a 405,
    // no body for HEAD) before `front` records it, so a run's record holds
    // the response as it leaves.
    // One line per request at debug level, as tower-http has it
    // (`RUST_LOG=oauth2_lab=debug`): method, path (never the query, which
    // can carry codes), status and latency. At the default level the layer
    // is not there at all, and a request costs no logging; a line each
    // halves the token endpoint's throughput (docs/PERFORMANCE.md). Server
    // errors are logged by `Front` at any level.
    let trace = tracing::enabled!(target: "oauth2_lab", tracing::Level::DEBUG).then(|| {
        let trace = TraceLayer::new_for_http()
            .make_span_with(
                |req: &Request<_>| tracing::debug_span!("http", method = %req.method(), path = %req.uri().path()),
            )
            .on_request(())
            .on_response(|res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                tracing::debug!(
                    status = res.status().as_u16(),
                    latency_ms = latency.as_secs_f64() * 1000.0,
                    "response"
                );
            })
            .on_failure(());
        // The same response type as without it.
        ServiceBuilder::new().map_response(|res: axum::http::Response<_>| res.map(axum::body::Body::new)).layer(trace)
    });
    let token = axum::handler::Handler::with_state(crate::oauth::endpoints::token::token, state.auth.clone());
    let front = Front { inner: routes, token, lab: state.lab.clone(), limits: state.limits.clone() };
    // The layers wrap the router itself, not a router around them: a
    // request meets no second path match and no boxed route before them.
    ServiceBuilder::new()
        .map_response(axum::response::IntoResponse::into_response)
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .map_request(|req: Request<tower_http::body::Limited<axum::body::Body>>| req.map(axum::body::Body::new))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        // A panic would be a bug; should one happen, answer 500 rather than
        // drop the connection.
        .layer(CatchPanicLayer::new())
        .option_layer(trace)
        .service(front)
}
