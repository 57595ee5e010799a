//! A learner's own provider: an authorization server the lab did not
//! write, named by its issuer (OpenID Connect Discovery 1.0 or RFC 8414)
//! or by its endpoints. The lab's client, on the `oauth2` crate, plays the
//! code grant with PKCE, client credentials, refresh, revocation,
//! introspection and UserInfo against it; every exchange goes through
//! `outbound::Outbound`, which keeps it as the socket carried it and calls
//! only the provider's own origins.

use super::outbound::{Outbound, Sent};
use super::Lab;
use crate::oauth::util::random_token;
pub use crate::run::view::{ProviderAction as Action, ProviderForm, ProviderSetup};
use crate::run::{Channel, Exchange, Role, Step, StepKind};
use axum::http;
use base64::Engine;
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, Scope, TokenResponse, TokenUrl,
};
use std::future::Future;
use std::pin::Pin;

/// Where the provider sends the browser back, for every run: the run is
/// found by its `state`, which begins with the run's id.
pub const CALLBACK: &str = "/lab/provider/callback";
/// The longest URL or value the form takes.
const MAX_FIELD: usize = 2048;

/// A provider run's state, while this process holds it.
#[derive(Clone, Debug)]
pub struct ProviderRun {
    pub setup: ProviderSetup,
    pub client_secret: Option<String>,
    pub outbound: Outbound,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    /// The metadata says the authorization response names the issuer
    /// (RFC 9207 `authorization_response_iss_parameter_supported`).
    pub iss_in_response: bool,
    /// The provider's metadata, for checking an ID token with its keys.
    pub metadata: serde_json::Value,
}

fn trimmed(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn json_str(v: &serde_json::Value, k: &str) -> Option<String> {
    v[k].as_str().filter(|s| !s.is_empty() && s.len() <= MAX_FIELD).map(str::to_string)
}

/// Sets up run `run` against the provider `form` names: discovery when it
/// gives an issuer, registration (RFC 7591) when it gives no client id,
/// each recorded as a step.
pub async fn set_up(s: &Lab, run: &str, form: &ProviderForm) -> Result<ProviderSetup, String> {
    // The issuer and the endpoints typed: the origins the lab may call.
    let urls = [
        &form.issuer,
        &form.authorization_endpoint,
        &form.token_endpoint,
        &form.revocation_endpoint,
        &form.introspection_endpoint,
        &form.userinfo_endpoint,
    ];
    if urls.iter().chain(&[&form.client_id, &form.client_secret, &form.scope]).any(|v| v.len() > MAX_FIELD) {
        return Err(format!("Each field takes at most {MAX_FIELD} characters."));
    }
    let mut out = Outbound::new(s.settings.outbound_private);
    let issuer = trimmed(&form.issuer);
    for url in urls.iter().filter_map(|u| trimmed(u)) {
        out.allow(&url)?;
    }
    let metadata = match &issuer {
        Some(issuer) => discover(s, run, &out, issuer).await?,
        None => serde_json::Value::Null,
    };
    let pick = |typed: &str, key: &str| trimmed(typed).or_else(|| json_str(&metadata, key));
    let mut setup = ProviderSetup {
        issuer: issuer.as_ref().and_then(|_| json_str(&metadata, "issuer")),
        authorization_endpoint: pick(&form.authorization_endpoint, "authorization_endpoint"),
        token_endpoint: pick(&form.token_endpoint, "token_endpoint"),
        revocation_endpoint: pick(&form.revocation_endpoint, "revocation_endpoint"),
        introspection_endpoint: pick(&form.introspection_endpoint, "introspection_endpoint"),
        userinfo_endpoint: pick(&form.userinfo_endpoint, "userinfo_endpoint"),
        registration_endpoint: json_str(&metadata, "registration_endpoint"),
        client_id: String::new(),
        confidential: false,
        registered: false,
        auth_method: auth_method(&metadata),
        scope: trimmed(&form.scope).unwrap_or_else(|| default_scope(&metadata)),
        redirect_uri: s.settings.url(CALLBACK),
        origins: vec![],
    };
    if setup.token_endpoint.is_none() {
        return Err("The provider names no token endpoint: give its issuer, or its token endpoint.".into());
    }
    // The endpoints the metadata names are the provider's own.
    let jwks_uri = json_str(&metadata, "jwks_uri");
    for url in [
        &jwks_uri,
        &setup.authorization_endpoint,
        &setup.token_endpoint,
        &setup.revocation_endpoint,
        &setup.introspection_endpoint,
        &setup.userinfo_endpoint,
        &setup.registration_endpoint,
    ]
    .into_iter()
    .flatten()
    {
        out.allow(url)?;
    }
    let mut secret = trimmed(&form.client_secret);
    match trimmed(&form.client_id) {
        Some(id) => setup.client_id = id,
        None => {
            let Some(endpoint) = setup.registration_endpoint.clone() else {
                return Err("The provider offers no registration endpoint (RFC 7591): give the client id and secret it gave you.".into());
            };
            let answer = register(s, run, &out, &endpoint, &setup).await?;
            setup.client_id = json_str(&answer, "client_id").ok_or("The registration's answer has no client_id.")?;
            secret = json_str(&answer, "client_secret");
            if let Some(method) = json_str(&answer, "token_endpoint_auth_method") {
                setup.auth_method = method;
            }
            setup.registered = true;
        }
    }
    setup.confidential = secret.is_some();
    setup.origins = out.origins().to_vec();
    let state = ProviderRun {
        setup: setup.clone(),
        client_secret: secret,
        outbound: out,
        access_token: None,
        refresh_token: None,
        iss_in_response: metadata["authorization_response_iss_parameter_supported"] == true,
        metadata,
    };
    s.runs.with(run, |r| r.outside = Some(state)).ok_or("The run expired.")?;
    Ok(setup)
}

/// `client_secret_basic` unless the provider lists only `client_secret_post`
/// (RFC 8414 §2, `token_endpoint_auth_methods_supported`).
fn auth_method(metadata: &serde_json::Value) -> String {
    let methods: Vec<&str> = metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    if !methods.is_empty() && !methods.contains(&"client_secret_basic") && methods.contains(&"client_secret_post") {
        "client_secret_post".into()
    } else {
        "client_secret_basic".into()
    }
}

/// `openid profile` at an OpenID provider (with `offline_access` where it
/// offers it, for a refresh token), else nothing: the provider's default.
fn default_scope(metadata: &serde_json::Value) -> String {
    let supported: Vec<&str> = metadata["scopes_supported"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    if !supported.contains(&"openid") {
        return String::new();
    }
    let mut scope = vec!["openid", "profile"];
    if supported.contains(&"offline_access") {
        scope.push("offline_access");
    }
    scope.join(" ")
}

/// The provider's metadata: OpenID Connect Discovery 1.0 §4 first, then
/// RFC 8414 §3.1, each request a step. The `issuer` it states must be the
/// one it was fetched for (Discovery §4.3, RFC 8414 §3.3).
async fn discover(s: &Lab, run: &str, out: &Outbound, issuer: &str) -> Result<serde_json::Value, String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("{issuer} is not a URL: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("An issuer has no query or fragment (RFC 8414 section 2).".into());
    }
    let base = issuer.trim_end_matches('/');
    let path = url.path().trim_end_matches('/');
    let origin = url.origin().ascii_serialization();
    let tries = [
        format!("{base}/.well-known/openid-configuration"),
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    ];
    let mut why = String::new();
    for (n, at) in tries.iter().enumerate() {
        let label = if n == 0 { "OpenID discovery" } else { "RFC 8414 metadata" };
        let request = get(at, &[("accept", "application/json")])?;
        // A provider that cannot be reached at one path cannot at the
        // other: its origin is the same.
        let sent = send(s, run, out, request, StepKind::Discovery).await?;
        let metadata: Option<serde_json::Value> =
            serde_json::from_slice(&sent.body).ok().filter(|m: &serde_json::Value| m.is_object());
        match metadata {
            Some(m) if sent.status == 200 => {
                let stated = m["issuer"].as_str().unwrap_or_default();
                if stated != issuer && stated != base {
                    return Err(format!("The {label} at {at} states the issuer {stated:?}, not {issuer:?}: a client must not use it (RFC 8414 section 3.3)."));
                }
                return Ok(m);
            }
            _ => why = format!("{at} answered {} without metadata", sent.status),
        }
    }
    Err(format!("No metadata found for {issuer}: {why}."))
}

/// RFC 7591 §3.1: a confidential client with the lab's redirect URI, for
/// the code grant, refresh and client credentials.
async fn register(
    s: &Lab,
    run: &str,
    out: &Outbound,
    endpoint: &str,
    setup: &ProviderSetup,
) -> Result<serde_json::Value, String> {
    let mut meta = serde_json::json!({
        "client_name": "OAuth2 Lab",
        "redirect_uris": [setup.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code"],
        "token_endpoint_auth_method": setup.auth_method,
    });
    if !setup.scope.is_empty() {
        meta["scope"] = setup.scope.clone().into();
    }
    let body = serde_json::to_vec(&meta).map_err(|e| e.to_string())?;
    let request = http::Request::post(endpoint)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body)
        .map_err(|e| e.to_string())?;
    let sent = send(s, run, out, request, StepKind::Register).await?;
    let answer: serde_json::Value = serde_json::from_slice(&sent.body).unwrap_or_default();
    if !(200..300).contains(&sent.status) {
        let why = json_str(&answer, "error_description").or_else(|| json_str(&answer, "error"));
        return Err(format!("The provider refused the registration ({}): {}", sent.status, why.unwrap_or_default()));
    }
    Ok(answer)
}

fn get(url: &str, headers: &[(&str, &str)]) -> Result<http::Request<Vec<u8>>, String> {
    let mut b = http::Request::get(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(vec![]).map_err(|e| format!("{url}: {e}"))
}

/// Sends `request` and records it in run `run` as a step of `kind`, from
/// the lab's client to the provider.
async fn send(
    s: &Lab,
    run: &str,
    out: &Outbound,
    request: http::Request<Vec<u8>>,
    kind: StepKind,
) -> Result<Sent, String> {
    let seq = s.runs.next_seq();
    let host = request.uri().authority().map(|a| a.to_string()).unwrap_or_default();
    let path = request.uri().path().to_string();
    let method = request.method().to_string();
    let sent = out.send(request).await?;
    let to = if kind == StepKind::UserInfo { Role::ResourceServer } else { Role::AuthorizationServer };
    s.runs.push(run, seq, step(kind, to, format!("{method} {host}{path}"), sent.exchange.clone()));
    Ok(sent)
}

fn step(kind: StepKind, to: Role, label: String, exchange: Exchange) -> Step {
    Step { kind, from: Role::Client, to, channel: Channel::Back, label, exchange: Some(exchange), checks: vec![] }
}

/// The run's provider state, or why there is none.
fn state_of(s: &Lab, run: &str) -> Result<ProviderRun, String> {
    s.runs
        .with(run, |r| r.outside.clone())
        .flatten()
        .ok_or_else(|| "This run is no longer live in this lab process: start a new one.".to_string())
}

/// The `oauth2` crate's client for the provider, with the lab's redirect
/// URI.
type Client = BasicClient<
    oauth2::EndpointMaybeSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointMaybeSet,
>;

fn client(p: &ProviderRun) -> Result<Client, String> {
    let s = &p.setup;
    let auth = s.authorization_endpoint.clone().map(AuthUrl::new).transpose().map_err(|e| e.to_string())?;
    let token = s.token_endpoint.clone().map(TokenUrl::new).transpose().map_err(|e| e.to_string())?;
    let mut c = BasicClient::new(ClientId::new(s.client_id.clone()))
        .set_auth_uri_option(auth)
        .set_token_uri_option(token)
        .set_redirect_uri(RedirectUrl::new(s.redirect_uri.clone()).map_err(|e| e.to_string())?);
    if let Some(secret) = &p.client_secret {
        c = c.set_client_secret(ClientSecret::new(secret.clone()));
    }
    if s.auth_method == "client_secret_post" {
        c = c.set_auth_type(AuthType::RequestBody);
    }
    Ok(c)
}

/// The authorization request (RFC 6749 §4.1.1) with PKCE (RFC 7636) and,
/// with `openid`, a nonce: its URL, the state (which begins with the run's
/// id, for the shared callback), the verifier and the nonce.
pub fn authorization_url(s: &Lab, run: &str) -> Result<(String, String, String, Option<String>), String> {
    let p = state_of(s, run)?;
    if p.setup.authorization_endpoint.is_none() {
        return Err("The provider names no authorization endpoint.".into());
    }
    let c = client(&p)?;
    let state = format!("{run}.{}", random_token(""));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req =
        c.authorize_url(|| CsrfToken::new(state.clone())).map_err(|e| e.to_string())?.set_pkce_challenge(challenge);
    let scopes: Vec<&str> = p.setup.scope.split_whitespace().collect();
    for scope in &scopes {
        req = req.add_scope(Scope::new(scope.to_string()));
    }
    let nonce = scopes.contains(&"openid").then(|| random_token(""));
    if let Some(nonce) = &nonce {
        req = req.add_extra_param("nonce", nonce.clone());
    }
    // OpenID Connect Core 1.0 §11: offline_access is honoured with
    // prompt=consent.
    if scopes.contains(&"offline_access") {
        req = req.add_extra_param("prompt", "consent");
    }
    let (url, state) = req.url();
    Ok((url.to_string(), state.secret().clone(), verifier.secret().clone(), nonce))
}

/// RFC 9207 §2.4: an authorization response's `iss` must be the provider's
/// issuer, and must be there when the metadata says it will be; a client
/// that checks it cannot be sent a code from another server (a mix-up).
pub fn check_iss(s: &Lab, run: &str, iss: Option<&str>) -> Result<(), String> {
    let p = state_of(s, run)?;
    match (iss, &p.setup.issuer) {
        (Some(iss), Some(issuer)) if iss != issuer => Err(format!(
            "The response names the issuer {iss:?}, not {issuer:?}: refused as a possible mix-up (RFC 9207 section 2.4)."
        )),
        (None, Some(_)) if p.iss_in_response => Err(
            "Your provider says its responses name their issuer, and this one does not: refused (RFC 9207 section 2.4)."
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The run a callback's `state` names: its id is the part before the dot.
pub fn run_of_state(state: &str) -> Option<&str> {
    let (run, _) = state.split_once('.')?;
    run.starts_with("run_").then_some(run)
}

/// The lab's client as an `oauth2` HTTP client: every call through the
/// run's `Outbound`, recorded as a step of `kind`.
struct Recorder<'a> {
    s: &'a Lab,
    run: &'a str,
    out: &'a Outbound,
    kind: StepKind,
    /// The last response's body, for what the `oauth2` crate's token
    /// response drops (an ID token).
    last: parking_lot::Mutex<Vec<u8>>,
}

impl<'a> Recorder<'a> {
    fn new(s: &'a Lab, run: &'a str, out: &'a Outbound, kind: StepKind) -> Self {
        Self { s, run, out, kind, last: Default::default() }
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Recorder<'_> {
    type Error = oauth2::HttpClientError<std::io::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let sent =
                send(self.s, self.run, self.out, request, self.kind).await.map_err(oauth2::HttpClientError::Other)?;
            self.last.lock().clone_from(&sent.body);
            let mut res = http::Response::builder().status(sent.status);
            if let Some(headers) = res.headers_mut() {
                *headers = sent.headers;
            }
            res.body(sent.body).map_err(|e| oauth2::HttpClientError::Other(e.to_string()))
        })
    }
}

/// Keeps the tokens of an answer for the steps that use them.
fn keep(s: &Lab, run: &str, token: &BasicTokenResponse) {
    let access = token.access_token().secret().clone();
    let refresh = token.refresh_token().map(|t| t.secret().clone());
    s.runs.with(run, |r| {
        if let Some(p) = r.outside.as_mut() {
            p.access_token = Some(access);
            if refresh.is_some() {
                p.refresh_token = refresh;
            }
        }
    });
}

/// The error of a token request, as one line.
fn token_error(
    e: oauth2::RequestTokenError<oauth2::HttpClientError<std::io::Error>, oauth2::basic::BasicErrorResponse>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            format!(
                "The provider refused: {}{}",
                r.error(),
                r.error_description().map(|d| format!(": {d}")).unwrap_or_default()
            )
        }
        oauth2::RequestTokenError::Request(oauth2::HttpClientError::Other(why)) => why,
        other => other.to_string(),
    }
}

/// The callback's code redeemed at the token endpoint (RFC 6749 §4.1.3)
/// with the PKCE verifier.
pub async fn redeem(s: &Lab, run: &str, code: String, verifier: Option<String>) -> Result<(), String> {
    let p = state_of(s, run)?;
    let c = client(&p)?;
    let http = Recorder::new(s, run, &p.outbound, StepKind::TokenRequest);
    let mut req = c.exchange_code(AuthorizationCode::new(code)).map_err(|e| e.to_string())?;
    if let Some(v) = verifier {
        req = req.set_pkce_verifier(PkceCodeVerifier::new(v));
    }
    let token = req.request_async(&http).await.map_err(token_error)?;
    keep(s, run, &token);
    let answer: serde_json::Value = serde_json::from_slice(&http.last.lock()).unwrap_or_default();
    if let Some(id_token) = answer["id_token"].as_str() {
        check_id_token(s, run, &p, id_token, token.access_token().secret()).await?;
    }
    Ok(())
}

/// Checks an ID token as a relying party must (OpenID Connect Core 1.0
/// §3.1.3.7) with the provider's keys, fetched from its `jwks_uri` (a
/// step), and records the step that shows each check. A failed check is
/// shown, not hidden: the learner reads what their provider sent.
async fn check_id_token(s: &Lab, run: &str, p: &ProviderRun, raw: &str, access_token: &str) -> Result<(), String> {
    use openidconnect::core::{CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreProviderMetadata};
    let jwks_uri = json_str(&p.metadata, "jwks_uri")
        .ok_or("An ID token came back, and the provider names no jwks_uri to check it with.")?;
    let sent = send(s, run, &p.outbound, get(&jwks_uri, &[("accept", "application/json")])?, StepKind::Jwks).await?;
    let keys: CoreJsonWebKeySet =
        serde_json::from_slice(&sent.body).map_err(|e| format!("The provider's jwks_uri holds no key set: {e}"))?;
    let metadata: CoreProviderMetadata = serde_json::from_value(p.metadata.clone())
        .map_err(|e| format!("The provider's metadata is not OpenID provider metadata: {e}"))?;
    let metadata = metadata.set_jwks(keys);
    let issuer = metadata.issuer().clone();
    let client = CoreClient::from_provider_metadata(
        metadata,
        openidconnect::ClientId::new(p.setup.client_id.clone()),
        p.client_secret.clone().map(openidconnect::ClientSecret::new),
    );
    let id_token: CoreIdToken = raw.parse().map_err(|e| format!("The ID token is not a JWT: {e}"))?;
    let nonce = s.runs.with(run, |r| r.nonce.clone()).flatten().map(openidconnect::Nonce::new);
    let access_token = openidconnect::AccessToken::new(access_token.to_string());
    let (checks, _) = super::app::oidc::check(&client, &issuer, &id_token, nonce.as_ref(), Some(&access_token));
    let label = "lab's client checks the ID token";
    let step = Step { checks, ..Step::local(StepKind::IdTokenCheck, Role::Client, Role::Client, label) };
    s.runs.push(run, s.runs.next_seq(), step);
    Ok(())
}

/// Plays `action` in run `run`: its exchange is recorded whatever the
/// provider answers; the error says why it could not be sent, or what the
/// provider refused.
pub async fn act(s: &Lab, run: &str, action: Action) -> Result<(), String> {
    let p = state_of(s, run)?;
    let c = client(&p)?;
    let out = &p.outbound;
    match action {
        Action::ClientCredentials => {
            let http = Recorder::new(s, run, out, StepKind::TokenRequest);
            let mut req = c.exchange_client_credentials().map_err(|e| e.to_string())?;
            for scope in p.setup.scope.split_whitespace().filter(|s| !matches!(*s, "openid" | "offline_access")) {
                req = req.add_scope(Scope::new(scope.to_string()));
            }
            let token = req.request_async(&http).await.map_err(token_error)?;
            keep(s, run, &token);
        }
        Action::Refresh => {
            let rt = p.refresh_token.clone().ok_or("There is no refresh token yet: sign in first.")?;
            let http = Recorder::new(s, run, out, StepKind::Refresh);
            let rt = RefreshToken::new(rt);
            let token = c
                .exchange_refresh_token(&rt)
                .map_err(|e| e.to_string())?
                .request_async(&http)
                .await
                .map_err(token_error)?;
            keep(s, run, &token);
        }
        Action::Revoke | Action::Introspect => {
            let (endpoint, kind) = if action == Action::Revoke {
                (p.setup.revocation_endpoint.clone(), StepKind::Revoke)
            } else {
                (p.setup.introspection_endpoint.clone(), StepKind::Introspect)
            };
            let endpoint = endpoint.ok_or("The provider names no such endpoint.")?;
            let (token, hint) = match (&p.access_token, &p.refresh_token) {
                (Some(at), _) => (at.clone(), "access_token"),
                (None, Some(rt)) => (rt.clone(), "refresh_token"),
                _ => return Err("There is no token yet: get one first.".into()),
            };
            let sent = send(
                s,
                run,
                out,
                authenticated_form(&p, &endpoint, &[("token", &token), ("token_type_hint", hint)])?,
                kind,
            )
            .await?;
            if !(200..300).contains(&sent.status) {
                return Err(format!("The provider answered {}.", sent.status));
            }
        }
        Action::UserInfo => {
            let endpoint = p.setup.userinfo_endpoint.clone().ok_or("The provider offers no UserInfo endpoint.")?;
            let at = p.access_token.clone().ok_or("There is no access token yet: sign in first.")?;
            let request =
                get(&endpoint, &[("authorization", &format!("Bearer {at}")), ("accept", "application/json")])?;
            let sent = send(s, run, out, request, StepKind::UserInfo).await?;
            if !(200..300).contains(&sent.status) {
                return Err(format!("The provider answered {}.", sent.status));
            }
        }
    }
    Ok(())
}

/// A form POST to a revocation (RFC 7009 §2.1) or introspection (RFC 7662
/// §2.1) endpoint, with the client's credentials as it authenticates at
/// the token endpoint. These two are sent as plain requests: the `oauth2`
/// crate takes revocation URLs on https only, and a provider on loopback
/// has none.
fn authenticated_form(
    p: &ProviderRun,
    endpoint: &str,
    pairs: &[(&str, &str)],
) -> Result<http::Request<Vec<u8>>, String> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(pairs);
    let mut b = http::Request::post(endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json");
    let id = &p.setup.client_id;
    match (&p.client_secret, p.setup.auth_method.as_str()) {
        (Some(secret), "client_secret_post") => {
            form.append_pair("client_id", id);
            form.append_pair("client_secret", secret);
        }
        (Some(secret), _) => {
            // RFC 6749 §2.3.1: each part form-encoded, then Basic.
            let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
            b = b.header("authorization", format!("Basic {basic}"));
        }
        (None, _) => {
            form.append_pair("client_id", id);
        }
    }
    b.body(form.finish().into_bytes()).map_err(|e| e.to_string())
}
