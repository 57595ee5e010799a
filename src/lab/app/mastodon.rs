//! The seed's Mastodon bot, played on the wire as Mastodon.py plays it
//! (`tests/python/mastodon_bot.py` drives the real library the same way):
//! create an app at `POST /api/v1/apps`, get a token with the password
//! grant and the app's id and secret in the form, post the first toot,
//! check whose account it is, and revoke the token.

use super::http::LabHttp;
use super::page::{fail, page};
use crate::lab::runs::RunClient;
use crate::lab::Lab;
use crate::oauth::endpoints::apps::APPS;
use crate::oauth::endpoints::authorize::OOB;
use crate::oauth::endpoints::{REVOKE, TOKEN};
use crate::run::RunStatus;
use axum::response::Response;
use leptos::prelude::*;

/// The scopes the bot asks for, as the seed's bot does.
pub const SCOPES: &str = "read write";

/// Step 1: create an app, which gives a client id and secret.
pub async fn create_app(s: &Lab, run: &str) -> Result<RunClient, String> {
    let http = LabHttp::new(s, run);
    let res = http
        .request(reqwest::Method::POST, format!("{}{APPS}", s.settings.internal_url))
        .form(&[
            ("client_name", format!("Lab bot {}", &run[..run.len().min(12)])),
            ("scopes", SCOPES.to_string()),
            ("redirect_uris", OOB.to_string()),
            ("website", s.settings.url("/grants/mastodon-bot")),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("creating the app failed: {body}"));
    }
    let client = RunClient {
        client_id: body["client_id"].as_str().unwrap_or_default().to_string(),
        client_secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri: OOB.to_string(),
    };
    s.runs.set_client(run, client.clone());
    Ok(client)
}

/// Steps 2 and 3, from the bot's setup form: a token for the user's name
/// and password, then the first toot; then whose account it is, and the
/// token revoked when the run keeps the lifecycle.
pub async fn run_bot(s: &Lab, run: &str, c: &RunClient, username: &str, password: &str) -> Response {
    let http = LabHttp::new(s, run);
    let base = &s.settings.internal_url;
    let secret = c.client_secret.clone().unwrap_or_default();
    let token = http
        .request(reqwest::Method::POST, format!("{base}{TOKEN}"))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("client_id", &c.client_id),
            ("client_secret", &secret),
            ("scope", SCOPES),
        ])
        .send()
        .await;
    let token: serde_json::Value = match token {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
        Ok(r) => {
            let why = r.text().await.unwrap_or_default();
            return fail(s, run, &format!("The token request was refused: {why}"));
        }
        Err(e) => return fail(s, run, &e.to_string()),
    };
    let Some(at) = token["access_token"].as_str().map(str::to_string) else {
        return fail(s, run, "The token response has no access_token.");
    };
    let toot = http
        .request(reqwest::Method::POST, format!("{base}/api/v1/statuses"))
        .bearer_auth(&at)
        .form(&[("status", "Hello, fediverse! My first toot, from a bot in OAuth2 Lab.")])
        .send()
        .await;
    match toot {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            let why = format!("{}: {}", r.status(), r.text().await.unwrap_or_default());
            return fail(s, run, &format!("The toot was refused: {why}"));
        }
        Err(e) => return fail(s, run, &e.to_string()),
    }
    let me = http
        .request(reqwest::Method::GET, format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&at)
        .send()
        .await;
    let who = match me {
        Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.unwrap_or_default(),
        Ok(r) => return fail(s, run, &format!("verify_credentials answered {}", r.status())),
        Err(e) => return fail(s, run, &e.to_string()),
    };
    let lifecycle = s.runs.with(run, |r| r.record.lifecycle).unwrap_or(true);
    if lifecycle {
        let _ = http
            .request(reqwest::Method::POST, format!("{base}{REVOKE}"))
            .bearer_auth(&at)
            .form(&[("client_id", c.client_id.as_str()), ("client_secret", &secret), ("token", &at)])
            .send()
            .await;
    }
    s.runs.finish(run, RunStatus::Done);
    let name = who["username"].as_str().unwrap_or("?").to_string();
    page(
        "The bot tooted",
        view! { <p>"The bot got a token, posted its first toot as "<code>{name}</code>" and signed off. Back in the lab, step through what happened."</p> },
    )
}
