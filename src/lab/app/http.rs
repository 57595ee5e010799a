//! The run's app on the wire: its HTTP client, which tags every request
//! with the run, its `oauth2` crate clients, and its registration.

use crate::lab::runs::RunClient;
use crate::lab::tags::{CLIENT_AGENT, KEY_HEADER, RUN_HEADER};
use crate::lab::Lab;
use crate::oauth::endpoints::{AUTHORIZE, REGISTER, REVOKE, TOKEN};
use crate::oauth::protocol::GrantType;
use crate::run::Grant;
use axum::http::{header, HeaderValue};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, RedirectUrl, RevocationUrl,
    TokenUrl,
};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

/// The run's HTTP client: tags requests with the run and carries
/// `https://127.0.0.1` URLs to the lab's plain loopback port (the oauth2
/// crate insists on https for revocation, as RFC 7009 §2 asks).
pub struct LabHttp {
    http: reqwest::Client,
    run: String,
    key: String,
    /// The lab's public URL and where it is reached from inside: what
    /// discovery names is fetched on the loopback address.
    public: String,
    internal: String,
}

impl LabHttp {
    pub fn new(s: &Lab, run: &str) -> Self {
        Self {
            http: s.http.clone(),
            run: run.to_string(),
            key: s.runs.key(run).unwrap_or_default(),
            public: s.settings.public_url.clone(),
            internal: s.settings.internal_url.clone(),
        }
    }
    pub fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header(RUN_HEADER, &self.run)
            .header(KEY_HEADER, &self.key)
            .header(header::USER_AGENT, CLIENT_AGENT)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for LabHttp {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, mut request: oauth2::HttpRequest) -> Self::Future {
        let uri = request.uri().to_string();
        let inside = match uri.strip_prefix(&self.public) {
            Some(rest) if self.public != self.internal && (rest.is_empty() || rest.starts_with('/')) => {
                Some(format!("{}{rest}", self.internal))
            }
            _ if uri.starts_with("https://127.0.0.1:") => Some(uri.replacen("https://", "http://", 1)),
            _ => None,
        };
        if let Some(Ok(plain)) = inside.map(|u| u.parse()) {
            *request.uri_mut() = plain;
        }
        if let Ok(v) = HeaderValue::from_str(&self.run) {
            request.headers_mut().insert(RUN_HEADER, v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.key) {
            request.headers_mut().insert(KEY_HEADER, v);
        }
        request.headers_mut().insert(header::USER_AGENT, HeaderValue::from_static(CLIENT_AGENT));
        self.http.call(request)
    }
}

pub type AppClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet>;
/// The app with the device authorization endpoint set, as a TV app has.
pub type DeviceClient = BasicClient<EndpointSet, EndpointSet, EndpointNotSet, EndpointSet, EndpointSet>;

pub fn device_client(s: &Lab, c: &RunClient) -> Result<DeviceClient, String> {
    let url = format!("{}{}", s.settings.internal_url, crate::oauth::endpoints::device::DEVICE_AUTHORIZATION);
    Ok(app_client(s, c)?.set_device_authorization_url(DeviceAuthorizationUrl::new(url).map_err(|e| e.to_string())?))
}

pub fn app_client(s: &Lab, c: &RunClient) -> Result<AppClient, String> {
    let internal = &s.settings.internal_url;
    let mut client = BasicClient::new(ClientId::new(c.client_id.clone()))
        .set_auth_uri(AuthUrl::new(s.settings.url(AUTHORIZE)).map_err(|e| e.to_string())?)
        .set_token_uri(TokenUrl::new(format!("{internal}{TOKEN}")).map_err(|e| e.to_string())?)
        .set_revocation_url(
            RevocationUrl::new(format!("{internal}{REVOKE}").replacen("http://", "https://", 1))
                .map_err(|e| e.to_string())?,
        )
        .set_redirect_uri(RedirectUrl::new(c.redirect_uri.clone()).map_err(|e| e.to_string())?);
    if let Some(secret) = &c.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(client)
}

/// The `grant_types` a run's app registers for (RFC 7591 §2).
fn grant_types(grant: Grant) -> &'static [GrantType] {
    match grant {
        Grant::AuthorizationCode | Grant::OpenIdConnect => &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        Grant::Implicit => &[GrantType::Implicit],
        Grant::ClientCredentials => &[GrantType::ClientCredentials],
        Grant::Password | Grant::MastodonBot => &[GrantType::Password, GrantType::RefreshToken],
        Grant::DeviceCode => &[GrantType::DeviceCode, GrantType::RefreshToken],
        // The learner's own program: its client is registered by
        // `lab::own_app`, with every grant.
        Grant::OwnApp => &[],
        // A learner's own provider: the lab registers there, not here.
        Grant::OwnProvider => &[],
    }
}

/// Step 0 of every run: the app registers itself (RFC 7591). The oauth2
/// crate has no registration, so this one call is plain reqwest.
pub async fn register(s: &Lab, run: &str, grant: Grant) -> Result<RunClient, String> {
    if grant == Grant::OpenIdConnect {
        // A relying party discovers the provider first: its endpoints, and
        // the keys its ID tokens are signed with.
        super::oidc::discover(s, run).await?;
    }
    if grant == Grant::MastodonBot {
        // The bot creates its app as a Mastodon client does.
        return super::mastodon::create_app(s, run).await;
    }
    // A single-page app and a TV app cannot keep a secret: public clients.
    register_as(s, run, grant, matches!(grant, Grant::Implicit | Grant::DeviceCode)).await
}

/// Registers the run's app as a public client (no secret: a native or
/// single-page app) or a confidential one.
pub async fn register_as(s: &Lab, run: &str, grant: Grant, public: bool) -> Result<RunClient, String> {
    let redirect_uri = s.settings.url(&format!("/lab/runs/{run}/callback"));
    let mut meta = json!({
        "client_name": format!("Lab run {}", &run[..run.len().min(12)]),
        "grant_types": grant_types(grant),
        "scope": if grant == Grant::OpenIdConnect { super::oidc::SCOPES.join(" ") } else { "read write".into() },
        "token_endpoint_auth_method": if public { "none" } else { "client_secret_basic" },
    });
    if matches!(grant, Grant::AuthorizationCode | Grant::Implicit | Grant::OpenIdConnect) {
        meta["redirect_uris"] = json!([redirect_uri]);
    }
    let body = post_registration(s, run, &meta).await.map_err(|body| format!("registration failed: {body}"))?;
    let client = RunClient::registered(&body, redirect_uri);
    s.runs.set_client(run, client.clone());
    Ok(client)
}

/// Sends client metadata to the registration endpoint as run `run`'s app:
/// the registered client's JSON, or the registry's error as JSON (or the
/// failure's text) when it refuses.
pub async fn post_registration(
    s: &Lab,
    run: &str,
    meta: &serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let fail = |e: reqwest::Error| serde_json::Value::String(e.to_string());
    let res = LabHttp::new(s, run)
        .request(reqwest::Method::POST, format!("{}{REGISTER}", s.settings.internal_url))
        .json(meta)
        .send()
        .await
        .map_err(fail)?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.map_err(fail)?;
    if status != reqwest::StatusCode::CREATED {
        return Err(body);
    }
    Ok(body)
}

/// The run's HTTP client that says when its first call has been answered.
pub struct FirstCall {
    pub http: LabHttp,
    pub done: parking_lot::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl<'c> oauth2::AsyncHttpClient<'c> for FirstCall {
    type Error = <LabHttp as oauth2::AsyncHttpClient<'c>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let res = self.http.call(request).await;
            if let Some(tx) = self.done.lock().take() {
                let _ = tx.send(());
            }
            res
        })
    }
}
