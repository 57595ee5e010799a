//! The app each run registers and plays: its pages at
//! `/lab/runs/{id}/...` and its back-channel calls, made with the `oauth2`
//! crate through `http::LabHttp`, which tags them with the run.

pub mod device;
pub mod http;
pub mod mastodon;
pub mod oidc;
pub mod page;
pub mod token;

use super::binding;
use super::runs::RunClient;
use super::tags::RUN_HEADER;
use super::Lab;
use crate::oauth::util::random_token;
use crate::run::{Grant, Mode, RunStatus};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{app_client, LabHttp};
use leptos::prelude::*;
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, ResourceOwnerPassword, ResourceOwnerUsername,
    Scope,
};
use page::{fail, page};
use serde::Deserialize;
use std::sync::Arc;
use token::finish_with_token;

pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/lab/runs/{id}/login", get(login))
        .route("/lab/runs/{id}/callback", get(callback))
        .route("/lab/runs/{id}/password", post(password))
        .route("/lab/runs/{id}/service", post(service))
        .route("/lab/runs/{id}/id-token", post(oidc::sign_in_with_id_token))
        .route(crate::lab::provider::CALLBACK, get(provider_callback))
}

/// A run's grant, mode and client; none for a learner's own program's
/// run, whose app is the learner's and has no pages here.
fn run_parts(s: &Lab, run: &str) -> Option<(Grant, Mode, RunClient)> {
    s.runs
        .with(run, |r| Some((r.record.grant, r.record.mode, r.client.clone()?)))
        .flatten()
        .filter(|(grant, _, _)| *grant != Grant::OwnApp)
}

/// The app's start page: a redirect to the authorization server for the
/// browser grants, a form of its own for the others.
async fn login(State(s): State<Arc<Lab>>, Path(run): Path<String>, headers: HeaderMap) -> Response {
    if s.runs.with(&run, |r| r.record.grant) == Some(Grant::OwnProvider) {
        return provider_login(&s, &run, &headers);
    }
    let Some((grant, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    match grant {
        Grant::AuthorizationCode | Grant::Implicit => {
            let client = match app_client(&s, &c) {
                Ok(c) => c,
                Err(e) => return fail(&s, &run, &e),
            };
            let mut req = client
                .authorize_url(CsrfToken::new_random)
                .add_scope(Scope::new("read".into()))
                .add_scope(Scope::new("write".into()));
            let mut verifier = None;
            if grant == Grant::Implicit {
                req = req.use_implicit_flow();
            } else {
                let (challenge, v) = PkceCodeChallenge::new_random_sha256();
                req = req.set_pkce_challenge(challenge);
                verifier = Some(v.secret().clone());
            }
            let (url, state) = req.url();
            to_authorization_server(&s, &run, &headers, url.as_str(), state.secret().clone(), verifier, &app_path(&run))
        }
        Grant::OpenIdConnect => match oidc::authentication_request(&s, &run, &c) {
            Ok((url, state, verifier)) => {
                to_authorization_server(&s, &run, &headers, &url, state, Some(verifier), &app_path(&run))
            }
            Err(e) => fail(&s, &run, &e),
        },
        Grant::DeviceCode => device::device_screen(s, run, &c).await,
        // `run_parts` finds no app for a learner's own program, and a
        // provider run's login is `provider_login`.
        Grant::OwnApp | Grant::OwnProvider => (StatusCode::NOT_FOUND, "no such run").into_response(),
        Grant::MastodonBot => password_form(
            &run,
            "Set up the bot",
            "This bot posts as a Mastodon account. As in the seed, it asks for the account's name and password, and gets its token with the password grant.",
            "Run the bot",
        ),
        Grant::Password => password_form(
            &run,
            "Sign in to the app",
            "This app uses the password grant: it asks for your password itself.",
            "Sign in",
        ),
        Grant::ClientCredentials => {
            let action = format!("/lab/runs/{run}/service");
            page(
                "Service console",
                view! {
                    <p>"This service calls the API for itself, with no user. Start its job:"</p>
                    <form method="post" action=action class="as-form">
                        <div class="as-buttons"><button type="submit" class="as-approve">"Run the job"</button></div>
                    </form>
                },
            )
        }
    }
}

/// The app's own form for the user's name and password: the password
/// grant's flaw, on screen.
fn password_form(run: &str, title: &str, intro: &'static str, button: &'static str) -> Response {
    let action = format!("/lab/runs/{run}/password");
    page(
        title,
        view! {
            <p>{intro}</p>
            <form method="post" action=action class="as-form">
                <label for="username">"Username"</label><input id="username" name="username" autocomplete="username" required/>
                <label for="password">"Password"</label><input id="password" name="password" type="password" required/>
                <div class="as-buttons"><button type="submit" class="as-approve">{button}</button></div>
            </form>
            <p class="as-note">"Demo users: "<code>"alice"</code>" / "<code>"wonderland"</code>", "<code>"bob"</code>" / "<code>"builder"</code>"."</p>
        },
    )
}

/// Where a run's app pages are, and its browser cookie with them.
fn app_path(run: &str) -> String {
    format!("/lab/runs/{run}/")
}

/// The redirect to the authorization endpoint, with `state` (and the PKCE
/// verifier) kept for the callback, bound to this browser by a cookie on
/// `cookie_path`.
fn to_authorization_server(
    s: &Lab,
    run: &str,
    headers: &HeaderMap,
    url: &str,
    state: String,
    verifier: Option<String>,
    cookie_path: &str,
) -> Response {
    let (browser, set_cookie) = binding::browser(headers, cookie_path);
    s.runs.with(run, |r| {
        r.pkce_verifier = verifier;
        r.state = Some(state);
        r.state_browser = Some(browser);
    });
    let mut res = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(c) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: the issuer that sends the response.
    iss: Option<String>,
}

async fn callback(
    State(s): State<Arc<Lab>>,
    Path(run): Path<String>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some((grant, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    if grant == Grant::Implicit {
        // The state this browser's sign-in began with, for the page's
        // script to check; none for a browser that began none.
        let expected = s
            .runs
            .with(&run, |r| binding::same_browser(&headers, r.state_browser.as_ref()).then(|| r.state.clone()))
            .flatten()
            .flatten();
        return implicit_page(&run, expected.as_deref());
    }
    let (expected, browser, vulnerable) = s
        .runs
        .with(&run, |r| {
            (
                r.state.clone(),
                r.state_browser,
                r.record.vulnerable && r.record.scenario == Some(crate::run::scenario::Scenario::CsrfState),
            )
        })
        .unwrap_or_default();
    // The lab-only vulnerable switch of the csrf-state scenario: an app
    // that does not check state, nor the browser it went to.
    if !vulnerable && (q.state.is_none() || q.state != expected) {
        return fail(&s, &run, "The state in the callback is not the one this app sent: refused as a possible CSRF (RFC 6749 section 10.12).");
    }
    if !vulnerable && !binding::same_browser(&headers, browser.as_ref()) {
        return fail(&s, &run, "This callback came back in another browser than the one the login began in: its state is bound to that browser's cookie, so it is refused as a possible CSRF (RFC 6749 section 10.12, RFC 9700 section 4.7.1).");
    }
    if let Some(error) = q.error {
        let why = format!("{error}: {}", q.error_description.unwrap_or_default());
        s.runs.finish(&run, RunStatus::Failed(why.clone()));
        return page("The grant was refused", view! { <p>"The authorization server said "<code>{why}</code>"."</p> });
    }
    let Some(code) = q.code else {
        return fail(&s, &run, "The callback carries neither code nor error.");
    };
    let verifier = s.runs.with(&run, |r| r.pkce_verifier.take()).flatten();
    if grant == Grant::OpenIdConnect {
        return oidc::redeem(&s, &run, &c, code, verifier).await;
    }
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let mut exchange = client.exchange_code(AuthorizationCode::new(code));
    if let Some(verifier) = verifier {
        exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(verifier));
    }
    let token = exchange.request_async(&http).await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

async fn password(State(s): State<Arc<Lab>>, Path(run): Path<String>, body: Bytes) -> Response {
    let Some((grant, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    let field = |name: &str| form_urlencoded::parse(&body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return page("Sign in to the app", view! { <p class="as-error">"Username and password are needed."</p> });
    };
    if grant == Grant::MastodonBot {
        return mastodon::run_bot(&s, &run, &c, &username, &password).await;
    }
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let token = client
        .exchange_password(&ResourceOwnerUsername::new(username), &ResourceOwnerPassword::new(password))
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .request_async(&http)
        .await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

async fn service(State(s): State<Arc<Lab>>, Path(run): Path<String>) -> Response {
    let Some((_, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let token = client.exchange_client_credentials().add_scope(Scope::new("read".into())).request_async(&http).await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

/// The implicit grant's redirect URI: a page whose script, like a
/// single-page app's, checks `state`, reads the token from the fragment
/// and calls the API from the browser. The server never sees the token.
fn implicit_page(run: &str, expected_state: Option<&str>) -> Response {
    let nonce = random_token("");
    // A JSON string, with `<` escaped so that nothing in it closes the
    // script element.
    let expected = serde_json::to_string(&expected_state).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c");
    let script = format!(
        r#"(async () => {{
  const out = document.getElementById("out");
  const p = new URLSearchParams(location.hash.slice(1));
  const expected = {expected};
  if (expected === null || p.get("state") !== expected) {{ out.textContent = "The state in the fragment is not the one this app sent in this browser: refused as a possible CSRF (RFC 6749 section 10.12, RFC 9700 section 4.7.1)."; return; }}
  if (p.get("error")) {{ out.textContent = "The authorization server said: " + p.get("error") + ": " + (p.get("error_description") || ""); return; }}
  const token = p.get("access_token");
  if (!token) {{ out.textContent = "No access token in the fragment."; return; }}
  const h = {{ "Authorization": "Bearer " + token, "{RUN_HEADER}": {run:?} }};
  const me = await (await fetch("/api/v1/accounts/verify_credentials", {{ headers: h }})).json();
  await fetch("/api/v1/statuses", {{ method: "POST", headers: {{ ...h, "Content-Type": "application/json" }}, body: JSON.stringify({{ status: "Hello from a single-page app in OAuth2 Lab" }}) }});
  out.textContent = "Browser code checked state, read the token from the fragment and called the API as " + me.username + ".";
}})();"#
    );
    let mut res = page(
        "Single-page app",
        view! {
            <p id="out">"Reading the token from the URL fragment…"</p>
            <script nonce=nonce.clone() inner_html=script></script>
        },
    );
    if let Ok(v) = HeaderValue::from_str(&format!("script-src 'nonce-{nonce}'; frame-ancestors 'self'")) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// A provider run's login: to the learner's own provider's authorization
/// endpoint, with the cookie that binds `state` on `/lab/`, which both
/// this page and the shared callback are under.
fn provider_login(s: &Lab, run: &str, headers: &HeaderMap) -> Response {
    match crate::lab::provider::authorization_url(s, run) {
        Ok((url, state, verifier, nonce)) => {
            s.runs.with(run, |r| r.nonce = nonce);
            to_authorization_server(s, run, headers, &url, state, Some(verifier), "/lab/")
        }
        Err(why) => provider_page(StatusCode::BAD_REQUEST, "The sign-in could not start", why),
    }
}

/// A page of the provider run's callback tab; it never ends the run, whose
/// other steps the learner may still play.
fn provider_page(status: StatusCode, title: &str, text: String) -> Response {
    let mut res = page(title, view! { <p class="as-note">{text}</p> });
    *res.status_mut() = status;
    res
}

/// The learner's own provider sends the browser back here: the run is the
/// one its `state` names, and the callback counts only in the browser the
/// sign-in began in, with the state that run sent.
async fn provider_callback(State(s): State<Arc<Lab>>, headers: HeaderMap, Query(q): Query<CallbackQuery>) -> Response {
    let refused = |why: &str| provider_page(StatusCode::BAD_REQUEST, "The callback was refused", why.to_string());
    let Some(state) = q.state.clone() else {
        return refused("The callback carries no state, so the lab cannot tell which run it belongs to.");
    };
    let Some(run) = crate::lab::provider::run_of_state(&state).map(str::to_string) else {
        return refused("The state names no run of this lab.");
    };
    let expected = s
        .runs
        .with(&run, |r| {
            (r.record.grant == Grant::OwnProvider).then(|| (r.state.clone(), r.state_browser, r.pkce_verifier.clone()))
        })
        .flatten();
    let Some((Some(expected), browser, verifier)) = expected else {
        return refused("No sign-in of a provider run is waiting for this state.");
    };
    if !crate::oauth::util::secrets_equal(&state, &crate::oauth::util::sha256(expected.as_bytes()))
        || !binding::same_browser(&headers, browser.as_ref())
    {
        return refused("This state is not the one the lab sent in this browser: refused as a possible CSRF (RFC 6749 section 10.12, RFC 9700 section 4.7.1).");
    }
    // The state is spent: a replayed callback is refused.
    s.runs.with(&run, |r| {
        r.state = None;
        r.pkce_verifier = None;
    });
    if let Err(why) = crate::lab::provider::check_iss(&s, &run, q.iss.as_deref()) {
        return refused(&why);
    }
    if let Some(error) = q.error {
        let why = format!("{error}: {}", q.error_description.unwrap_or_default());
        return provider_page(
            StatusCode::OK,
            "Your provider refused the grant",
            format!("It said {why}. The lab's tab shows the callback."),
        );
    }
    let Some(code) = q.code else {
        return refused("The callback carries neither code nor error.");
    };
    match crate::lab::provider::redeem(&s, &run, code, verifier).await {
        Ok(()) => provider_page(
            StatusCode::OK,
            "Signed in at your provider",
            "The lab's client redeemed the code. Go back to the lab's tab: every step is there, and this tab can be closed.".into(),
        ),
        Err(why) => provider_page(StatusCode::OK, "The code was not redeemed", why),
    }
}
