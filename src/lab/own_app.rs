//! The learner's own program: a client registered for it, with the
//! redirect URIs the learner gives, and a run that records every request
//! the program makes with that client or its tokens (`capture` finds them
//! by the client id they name and the token they carry).

use super::app::http::post_registration;
use super::runs::RunClient;
use super::Lab;
use serde_json::json;

/// At most this many redirect URIs, as the registry allows.
const MAX_REDIRECT_URIS: usize = 10;

/// The client and where the program finds the servers: what the learner's
/// program is configured with.
#[derive(Clone, Debug)]
pub struct Setup {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// The lab's public base URL: the issuer, and the Mastodon API's base.
    pub base_url: String,
}

/// The redirect URIs the learner typed, one per line or separated by
/// spaces or commas.
pub fn redirect_uris(typed: &str) -> Result<Vec<String>, String> {
    let uris: Vec<String> =
        typed.split(|c: char| c.is_whitespace() || c == ',').filter(|u| !u.is_empty()).map(str::to_string).collect();
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("At most {MAX_REDIRECT_URIS} redirect URIs."));
    }
    Ok(uris)
}

/// Registers the client of run `run` at the lab's registration endpoint
/// (recorded as the run's first step): every grant the server has, the
/// browser-based ones only with redirect URIs, a secret unless `public`.
/// The registry's own error is the answer when it refuses.
pub async fn register(s: &Lab, run: &str, redirect_uris: Vec<String>, public: bool) -> Result<Setup, String> {
    let mut grant_types = vec!["refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code"];
    if !redirect_uris.is_empty() {
        grant_types.extend(["authorization_code", "implicit"]);
    }
    if !public {
        grant_types.push("client_credentials");
    }
    let mut scopes: Vec<&str> = crate::demo::SCOPES.to_vec();
    scopes.extend(["follow", "push"]);
    let meta = json!({
        "client_name": "Your own app",
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "scope": scopes.join(" "),
        "token_endpoint_auth_method": if public { "none" } else { "client_secret_basic" },
    });
    let body = post_registration(s, run, &meta).await.map_err(|body| {
        let why = body["error_description"].as_str().or(body["error"].as_str()).or(body.as_str());
        why.unwrap_or("registration failed").to_string()
    })?;
    let client = RunClient {
        client_id: body["client_id"].as_str().unwrap_or_default().to_string(),
        client_secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri: redirect_uris.first().cloned().unwrap_or_default(),
    };
    s.runs.set_client(run, client);
    setup(s, run).ok_or_else(|| "The run expired.".to_string())
}

/// The setup of run `run`'s client, while this process holds the run.
pub fn setup(s: &Lab, run: &str) -> Option<Setup> {
    let client = s.runs.with(run, |r| r.client.clone()).flatten()?;
    let record = s.runs.record(run)?;
    let redirect_uris = record
        .steps
        .first()
        .and_then(|step| step.exchange.as_ref())
        .and_then(|x| serde_json::from_str::<serde_json::Value>(&x.response.body).ok())
        .and_then(|b| serde_json::from_value(b["redirect_uris"].clone()).ok())
        .unwrap_or_default();
    Some(Setup {
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris,
        base_url: s.settings.public_url.clone(),
    })
}
