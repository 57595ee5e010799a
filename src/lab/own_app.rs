//! The learner's own program: a client registered for it, with the
//! redirect URIs the learner gives, and a run that records every request
//! the program makes with that client or its tokens (`capture` finds them
//! by the client id they name and the token they carry).

use super::app::http::post_registration;
use super::runs::RunClient;
use super::Lab;
use crate::run::view::ClientSetup;
use serde_json::json;

/// At most this many redirect URIs, as the registry allows.
const MAX_REDIRECT_URIS: usize = 10;

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
pub async fn register(s: &Lab, run: &str, redirect_uris: Vec<String>, public: bool) -> Result<ClientSetup, String> {
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
    s.runs.set_client(run, RunClient::registered(&body, redirect_uris.first().cloned().unwrap_or_default()));
    setup(s, run).ok_or_else(|| "The run expired.".to_string())
}

/// The setup of run `run`'s client, while this process holds the run: its
/// redirect URIs as the registration's answer (the run's first step) has
/// them.
pub fn setup(s: &Lab, run: &str) -> Option<ClientSetup> {
    let (client, registered) = s.runs.with(run, |r| {
        let answer = r.record.steps.first().and_then(|step| step.exchange.as_ref()).map(|x| x.response.body.clone());
        Some((r.client.clone()?, answer))
    })??;
    let redirect_uris = registered
        .and_then(|body| serde_json::from_str::<serde_json::Value>(&body).ok())
        .and_then(|b| serde_json::from_value(b["redirect_uris"].clone()).ok())
        .unwrap_or_default();
    Some(ClientSetup {
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris,
        base_url: s.settings.public_url.clone(),
    })
}
