//! The capture layer: every request that belongs to a run is recorded as it
//! arrived, and its response as it left, before and after the handler. So
//! what the page shows is what crossed the wire, not a retelling.

use super::provider::CALLBACK as PROVIDER_CALLBACK;
use super::tags::{BROWSER_AGENT, KEY_HEADER, LEARNER_COOKIE, RUN_HEADER};
use super::Lab;
use crate::oauth::endpoints::device::{DEVICE_AUTHORIZATION, VERIFICATION};
use crate::oauth::endpoints::oidc::{DISCOVERY, USERINFO};
use crate::oauth::endpoints::JWKS;
use crate::oauth::protocol::GrantType;
use crate::run::{Channel, Exchange, Grant, RequestRecord, ResponseRecord, Role, Step, StepKind};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Version};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

/// Put on a request found to belong to a run, for the layers inside.
#[derive(Clone, Debug)]
pub struct RunOf(pub String);

/// Bodies longer than this are kept cut, with a note.
const MAX_KEPT_BODY: usize = 32 * 1024;
const MAX_RESPONSE: usize = 1024 * 1024;
const MAX_KEPT_HEADERS: usize = 16 * 1024;

/// The run of one of a run's app pages; other paths under a run (its
/// record, its exports) are the lab's, not the run's.
fn run_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/lab/runs/")?;
    let (id, tail) = rest.split_once('/')?;
    matches!(tail, "login" | "callback" | "password" | "service").then_some(id)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// How a request was found to belong to its run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    /// By what the lab's parties put on it (the run header) or a run
    /// app's path: it may write only with the run's key or from the
    /// learner's browser.
    Tagged,
    /// By the client it names or the token it carries. A learner's own
    /// program is recorded so, with no mark of the lab's on it.
    ByClient,
}

/// Which run a request belongs to, from what it carries: the lab's header,
/// a run's own client path, or the run's registered client_id; for a
/// learner's own program, also the client it authenticates as or the
/// token it sends.
async fn find_run(
    s: &Lab,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<(String, Found)> {
    if let Some(id) = headers.get(RUN_HEADER).and_then(|v| v.to_str().ok()) {
        return Some((id.to_string(), Found::Tagged));
    }
    if let Some(id) = run_in_path(path) {
        return Some((id.to_string(), Found::Tagged));
    }
    if path == PROVIDER_CALLBACK {
        // A provider run's callback: the run its state names.
        let state = query_param(query, "state")?;
        return super::provider::run_of_state(&state).map(|id| (id.to_string(), Found::Tagged));
    }
    let by_client = |run: Option<String>| run.map(|r| (r, Found::ByClient));
    if path == "/oauth/authorize" {
        let client_id = if method == Method::GET {
            query_param(query, "client_id")
        } else {
            let request_id =
                form_urlencoded::parse(body).find(|(k, _)| k == "request_id").map(|(_, v)| v.into_owned())?;
            s.auth.pending.client_of(&request_id).await
        };
        return by_client(s.runs.run_of_client(&client_id?));
    }
    if path == VERIFICATION {
        // The verification page, by the user code it carries.
        let user_code = if method == Method::GET {
            query_param(query, "user_code")
        } else {
            form_urlencoded::parse(body).find(|(k, _)| k == "user_code").map(|(_, v)| v.into_owned())
        };
        let grant = s.auth.devices.by_user_code(&user_code?).await?;
        return by_client(s.runs.run_of_client(&grant.client_id));
    }
    if s.runs.has_own_apps() && own_app_path(path) {
        return by_client(own_app_run(s, query, headers, body).await);
    }
    None
}

/// The endpoints a learner's own program calls with its client's
/// credentials or its tokens.
fn own_app_path(path: &str) -> bool {
    matches!(path, "/oauth/token" | "/oauth/revoke" | "/oauth/introspect" | DEVICE_AUTHORIZATION | USERINFO)
        || path.starts_with("/api/")
}

/// The run of a learner's own program that a request comes from: by the
/// client id of its Basic credentials or its form, else by the client its
/// access token was issued to.
async fn own_app_run(s: &Lab, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let form = |name: &str| form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (scheme, credentials) = authorization.trim().split_once(' ').unwrap_or(("", ""));
    let basic_id = scheme.eq_ignore_ascii_case("basic").then(|| basic_client_id(credentials.trim())).flatten();
    if let Some(run) = basic_id.or_else(|| form("client_id")).and_then(|id| s.runs.own_app_of_client(&id)) {
        return Some(run);
    }
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        Some(credentials.trim().to_string())
    } else {
        query_param(query, "access_token").or_else(|| form("access_token"))
    }?;
    let client_id = match crate::run::decode_jwt(&token) {
        Some((_, claims)) => claims["client_id"].as_str()?.to_string(),
        None => s.auth.tokens.get(&token).await?.client_id,
    };
    s.runs.own_app_of_client(&client_id)
}

/// The client id of HTTP Basic credentials (RFC 6749 §2.3.1: form-encoded,
/// then base64).
fn basic_client_id(credentials: &str) -> Option<String> {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(credentials).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let id = text.split_once(':').map_or(text.as_str(), |(id, _)| id);
    Some(form_urlencoded::parse(format!("x={id}").as_bytes()).next()?.1.into_owned())
}

fn version(v: Version) -> String {
    format!("{v:?}")
}

/// Header lines as they crossed, up to a bound per message.
fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    bounded(headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())))
}

/// `lines` up to the bound per message, without the run's key, which is
/// the lab's own and never shown.
fn bounded(lines: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut kept = 0;
    let mut out = vec![];
    for (k, v) in lines.filter(|(k, _)| !k.eq_ignore_ascii_case(KEY_HEADER)) {
        kept += k.len() + v.len();
        if kept > MAX_KEPT_HEADERS {
            out.push(("x-lab-note".to_string(), "further headers not kept".to_string()));
            break;
        }
        out.push((k, v));
    }
    out
}

/// A request's header lines as its client sent them, names in their case
/// and in their order, from what the connection read (`wire`); else as
/// hyper parsed them (lowercase, repeated names together).
fn sent_headers(parts: &axum::http::request::Parts, target: &str, body: &[u8]) -> Vec<(String, String)> {
    let sent = parts
        .extensions
        .get::<axum::extract::ConnectInfo<super::wire::Peer>>()
        .and_then(|peer| peer.0.wire.head_of(parts.method.as_str(), target, body));
    match sent {
        Some(lines) => bounded(lines.into_iter()),
        None => pairs(&parts.headers),
    }
}

fn kept(body: &[u8]) -> String {
    if body.len() <= MAX_KEPT_BODY {
        String::from_utf8_lossy(body).into_owned()
    } else {
        format!(
            "{}\n… [{} more bytes not kept]",
            String::from_utf8_lossy(&body[..MAX_KEPT_BODY]),
            body.len() - MAX_KEPT_BODY
        )
    }
}

/// What a recorded request is in the story of its grant.
pub fn classify(grant: Grant, req: &RequestRecord) -> (StepKind, Role, Role, Channel) {
    use Role::*;
    // Mastodon takes its paths with a trailing slash too.
    let path = req.path();
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let browser_code = grant == Grant::Implicit;
    let api = |kind| {
        // A page's script calling the API: a direct request, not a page
        // the browser loads.
        if browser_code {
            (kind, UserAgent, ResourceServer, Channel::Back)
        } else {
            (kind, Client, ResourceServer, Channel::Back)
        }
    };
    match (req.method.as_str(), path) {
        (_, "/oauth/register" | "/api/v1/apps") => (StepKind::Register, Client, AuthorizationServer, Channel::Back),
        ("GET", "/oauth/authorize") => (StepKind::AuthorizeRequest, UserAgent, AuthorizationServer, Channel::Front),
        (_, "/oauth/authorize") => (StepKind::Consent, UserAgent, AuthorizationServer, Channel::Front),
        (_, DEVICE_AUTHORIZATION) => (StepKind::DeviceAuthorization, Client, AuthorizationServer, Channel::Back),
        ("GET", VERIFICATION) => (StepKind::DeviceVerification, UserAgent, AuthorizationServer, Channel::Front),
        (_, VERIFICATION) => (StepKind::DeviceConsent, UserAgent, AuthorizationServer, Channel::Front),
        (_, "/oauth/token") => {
            let grant_type =
                form_urlencoded::parse(req.body.as_bytes()).find(|(k, _)| k == "grant_type").map(|(_, v)| v);
            let kind = match grant_type.as_deref().and_then(GrantType::parse) {
                Some(GrantType::RefreshToken) => StepKind::Refresh,
                Some(GrantType::DeviceCode) => StepKind::DevicePoll,
                _ => StepKind::TokenRequest,
            };
            (kind, Client, AuthorizationServer, Channel::Back)
        }
        (_, "/oauth/revoke") => (StepKind::Revoke, Client, AuthorizationServer, Channel::Back),
        (_, "/oauth/introspect") => (StepKind::Introspect, Client, AuthorizationServer, Channel::Back),
        ("GET", DISCOVERY) => (StepKind::Discovery, Client, AuthorizationServer, Channel::Back),
        ("GET", JWKS) => (StepKind::Jwks, Client, AuthorizationServer, Channel::Back),
        (_, USERINFO) => (StepKind::UserInfo, Client, AuthorizationServer, Channel::Back),
        (_, "/api/v1/accounts/verify_credentials") => api(StepKind::VerifyCredentials),
        (_, "/api/v1/statuses") => api(StepKind::PostStatus),
        // The rest of the Mastodon-shaped API: statuses by id, the app's
        // credentials, the instance.
        (_, p) if p.starts_with("/api/") => api(StepKind::Other),
        (_, p) if p.ends_with("/login") => (StepKind::ClientStart, UserAgent, Client, Channel::Front),
        (_, p) if p.ends_with("/callback") => (StepKind::Callback, UserAgent, Client, Channel::Front),
        (_, p) if p.ends_with("/password") => (StepKind::PasswordForm, UserAgent, Client, Channel::Front),
        (_, p) if p.ends_with("/service") => (StepKind::ServiceStart, UserAgent, Client, Channel::Front),
        (_, p) if p.ends_with("/id-token") => (StepKind::IdTokenSignIn, UserAgent, Client, Channel::Front),
        _ => (StepKind::Other, Client, AuthorizationServer, Channel::Back),
    }
}

/// Steps that are not on the wire but belong in the story, recorded just
/// before the request they lead to.
fn local_step_before(s: &Lab, run: &str, grant: Grant, kind: StepKind) -> Option<Step> {
    let local = |kind, from, to, label: &str| Step::local(kind, from, to, label);
    match kind {
        StepKind::Consent | StepKind::DeviceConsent => {
            Some(local(StepKind::UserSignsIn, Role::ResourceOwner, Role::UserAgent, "user signs in and decides"))
        }
        StepKind::DeviceVerification => Some(local(
            StepKind::ReadsUserCode,
            Role::ResourceOwner,
            Role::UserAgent,
            "user reads the code, opens the page",
        )),
        StepKind::PasswordForm => Some(local(
            StepKind::TypesPassword,
            Role::ResourceOwner,
            Role::UserAgent,
            "user types password into the app",
        )),
        StepKind::VerifyCredentials | StepKind::PostStatus if grant == Grant::Implicit => {
            let first = s.runs.with(run, |r| !std::mem::replace(&mut r.fragment_read, true)).unwrap_or(false);
            first
                .then(|| local(StepKind::ReadsFragment, Role::UserAgent, Role::UserAgent, "script reads location.hash"))
        }
        _ => None,
    }
}

/// Whether a request may belong to a run: it carries the run header, is
/// one of a run's app pages, or goes to the authorization endpoint; while
/// a learner's own program is recorded, also any request to the token,
/// revocation, introspection, device, UserInfo or API endpoints.
pub fn may_belong_to_a_run(lab: &Lab, req: &Request) -> bool {
    let path = req.uri().path();
    req.headers().contains_key(RUN_HEADER)
        || run_in_path(path).is_some()
        || path == PROVIDER_CALLBACK
        || path == "/oauth/authorize"
        || path == VERIFICATION
        || (lab.runs.has_own_apps() && own_app_path(path))
}

/// Who sent a request, where the lab's own agents say so: Mallory's
/// requests are hers, and an API call from the lab's browser is browser
/// code.
fn who_sent(
    (kind, from, to, channel): (StepKind, Role, Role, Channel),
    request: &RequestRecord,
) -> (StepKind, Role, Role, Channel) {
    match request.header("user-agent") {
        Some(crate::run::scenario::ATTACKER_AGENT) => (kind, Role::Attacker, to, channel),
        Some(BROWSER_AGENT) if to == Role::ResourceServer => (kind, Role::UserAgent, to, Channel::Front),
        _ => (kind, from, to, channel),
    }
}

/// The step off the wire recorded just before a request, if there is one:
/// Mallory's own sign-in, or what the user does (`local_step_before`).
fn step_before(s: &Lab, run: &str, grant: Grant, kind: StepKind, from: Role) -> Option<Step> {
    if from == Role::Attacker && kind == StepKind::Consent {
        return Some(Step::local(StepKind::Attack, from, from, "signs in as mallory, her own account"));
    }
    local_step_before(s, run, grant, kind)
}

/// The response as it leaves, read whole, and its record.
async fn record_response(res: Response) -> (axum::http::response::Parts, Bytes, ResponseRecord) {
    let (mut rparts, rbody) = res.into_parts();
    let rbytes = to_bytes(rbody, MAX_RESPONSE).await.unwrap_or_default();
    // Set here what hyper would add later, so the record is the whole
    // response as it leaves.
    rparts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(rbytes.len()));
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
        rparts.headers.insert(header::DATE, date);
    }
    let response = ResponseRecord {
        status: rparts.status.as_u16(),
        reason: rparts.status.canonical_reason().unwrap_or("").to_string(),
        version: version(rparts.version),
        headers: pairs(&rparts.headers),
        body: kept(&rbytes),
    };
    (rparts, rbytes, response)
}

/// A run app's page, asked for by someone other than the run's learner or
/// the lab.
fn not_yours() -> Response {
    let why = "This is another learner's run: only the browser that started it, and the lab's own parties, can act in it. Start a run of your own.";
    (axum::http::StatusCode::FORBIDDEN, axum::Json(serde_json::json!({ "error": why }))).into_response()
}

/// Records the request and the response `inner` gives, when the request
/// belongs to a run and comes from one of its writers; while not
/// `recording` (above the memory ceiling), only checks who may act in it.
pub async fn capture<F, Fut>(s: &Arc<Lab>, req: Request, inner: F, recording: bool) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    if !may_belong_to_a_run(s, &req) {
        return inner(req).await;
    }
    let path = req.uri().path().to_string();
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match to_bytes(body, s.settings.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            let mut e =
                crate::oauth::error::OAuthError::invalid_request("The request body is too large or could not be read.");
            e.status = Some(axum::http::StatusCode::PAYLOAD_TOO_LARGE);
            return e.into_response();
        }
    };
    let found = find_run(s, &parts.method, &path, parts.uri.query(), &parts.headers, &bytes).await;
    let grant = found.as_ref().and_then(|(id, _)| s.runs.with(id, |r| r.record.grant));
    let (Some((run, how)), Some(grant)) = (found, grant) else {
        return inner(Request::from_parts(parts, Body::from(bytes))).await;
    };
    let key = parts.headers.get(KEY_HEADER).and_then(|v| v.to_str().ok());
    let learner = crate::oauth::util::cookie(&parts.headers, LEARNER_COOKIE);
    // A learner's own program is recorded by its client and its tokens,
    // which only it holds; anything else writes only as the lab's parties
    // or the run's own learner.
    let own_program = grant == Grant::OwnApp && how == Found::ByClient;
    if !own_program && !s.runs.writer(&run, key, learner.as_deref()) {
        // Someone else's run: its app's pages act on it, so they refuse;
        // anything else is served as usual and not recorded.
        if run_in_path(&path).is_some() || path == PROVIDER_CALLBACK {
            return not_yours();
        }
        return inner(Request::from_parts(parts, Body::from(bytes))).await;
    }
    if !recording {
        let mut parts = parts;
        parts.extensions.insert(RunOf(run));
        return inner(Request::from_parts(parts, Body::from(bytes))).await;
    }
    let mut parts = parts;
    parts.extensions.insert(RunOf(run.clone()));
    let target = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or(path.clone());
    let request = RequestRecord {
        method: parts.method.to_string(),
        headers: sent_headers(&parts, &target, &bytes),
        target,
        version: version(parts.version),
        body: kept(&bytes),
    };
    let (kind, from, to, channel) = who_sent(classify(grant, &request), &request);
    if let Some(before) = step_before(s, &run, grant, kind, from) {
        s.runs.push(&run, s.runs.next_seq(), before);
    }
    let seq = s.runs.next_seq();
    let started_ms = SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let res = inner(Request::from_parts(parts, Body::from(bytes))).await;
    let (rparts, rbytes, response) = record_response(res).await;
    // The app's own pages carry the run id in their path; keep the label
    // short and the full target in the inspector.
    let label = match run_in_path(request.path()).and_then(|id| request.path().split_once(id)) {
        Some((prefix, tail)) => format!("{} {prefix}…{tail}", request.method),
        None => format!("{} {}", request.method, request.path()),
    };
    let final_step = grant == Grant::Implicit && kind == StepKind::PostStatus;
    s.runs.push(
        &run,
        seq,
        Step {
            kind,
            from,
            to,
            channel,
            label,
            exchange: Some(Exchange { request, response, started_ms }),
            checks: vec![],
        },
    );
    if final_step {
        s.runs.finish(&run, crate::run::RunStatus::Done);
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
