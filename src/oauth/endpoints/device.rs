//! The device authorization endpoint (RFC 8628 §3.1, §3.2) and the
//! verification page where the user types the code, signs in and decides
//! (§3.3). The device then polls the token endpoint (`grants/device_code`).

use crate::oauth::client_auth::ClientRequest;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::grants::{new_family, require_grant, resolve_scope};
use crate::oauth::pages::{as_page, demo_users, error_page, form_error, granted_scopes, sign_in_fields};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::DeviceState;
use crate::oauth::util::{cookie, random_token, scope_string, secrets_equal, sha256, strict_cookie};
use crate::oauth::{AuthServer, Requester};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub const DEVICE_AUTHORIZATION: &str = "/oauth/device_authorization";
pub const VERIFICATION: &str = "/oauth/device";
/// The verification page's double-submit CSRF cookie.
const CSRF_COOKIE: &str = "oauth2_lab_device";

/// §3.1, §3.2: a device code and a user code for the client.
pub async fn device_authorization(State(s): State<Arc<AuthServer>>, req: ClientRequest) -> OAuthResult<Response> {
    require_grant(&req.client, GrantType::DeviceCode)?;
    let scopes = resolve_scope(&req.client, req.params.get("scope"))?;
    let mut created = None;
    for _ in 0..3 {
        created = s.devices.create(&req.client.client_id, scopes.clone(), new_family()).await.ok();
        if created.is_some() {
            break;
        }
    }
    let (device_code, user_code) = created.ok_or_else(|| OAuthError::full("device authorizations"))?;
    let verification_uri = s.settings.url(VERIFICATION);
    let body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
        "expires_in": s.devices.ttl().as_secs(),
        "interval": s.devices.interval().as_secs(),
    });
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct CodeQuery {
    user_code: Option<String>,
}

fn page(title: &str, body: impl IntoView + 'static, set_cookie: Option<HeaderValue>) -> Response {
    let mut res = as_page(StatusCode::OK, title, body);
    if let Some(c) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

fn enter_code(error: Option<&str>) -> Response {
    let body = view! {
        <h1>"Connect a device"</h1>
        <p>"Type the code your device shows."</p>
        <form method="get" action=VERIFICATION class="as-form">
            {form_error(error)}
            <label for="user_code">"Code"</label>
            <input id="user_code" name="user_code" autocomplete="one-time-code" autocapitalize="characters" required placeholder="BCDF-GHJK"/>
            <div class="as-buttons"><button type="submit" class="as-approve">"Continue"</button></div>
        </form>
    };
    page("Connect a device", body, None)
}

async fn consent(
    s: &AuthServer,
    user_code: &str,
    csrf: &str,
    error: Option<&str>,
    set_cookie: Option<HeaderValue>,
) -> Response {
    let Some(grant) = s.devices.by_user_code(user_code).await else {
        return enter_code(Some("That code is unknown, expired or already used. Check the code on your device."));
    };
    let name = s.clients.get(&grant.client_id).await.map(|c| c.client_name.clone()).unwrap_or_default();
    let body = view! {
        <h1>"Sign in and connect the device"</h1>
        <p><strong>{name}</strong>" (client "<code>{grant.client_id.clone()}</code>") shows the code "<strong class="user-code" data-testid="user-code">{grant.user_code.clone()}</strong>". Only approve if it is the code on your device."</p>
        <form method="post" action=VERIFICATION class="as-form">
            <input type="hidden" name="user_code" value=grant.user_code.clone()/>
            <input type="hidden" name="csrf_token" value=csrf.to_string()/>
            {sign_in_fields(&grant.scopes, error, "")}
        </form>
        <p class="as-note">"The device never sees your password: it waits, polling the token endpoint, until you decide here."</p>
        {demo_users()}
    };
    page("Connect a device", body, set_cookie)
}

/// The page after the user's decision.
fn outcome(title: &str, message: impl IntoView + 'static) -> Response {
    let heading = title.to_string();
    page(title, view! { <h1>{heading}</h1>{message} }, None)
}

/// §3.3: the verification page; with `?user_code=` (the complete URI), the
/// sign-in and consent form for that code.
pub async fn show(State(s): State<Arc<AuthServer>>, Query(q): Query<CodeQuery>) -> Response {
    let Some(user_code) = q.user_code.filter(|c| !c.trim().is_empty()) else {
        return enter_code(None);
    };
    let csrf = random_token("");
    let secure = s.settings.public_url.starts_with("https://");
    let cookie = strict_cookie(CSRF_COOKIE, csrf.clone(), VERIFICATION, s.devices.ttl(), secure);
    consent(&s, &user_code, &csrf, None, cookie).await
}

/// The user's decision.
pub async fn decide(State(s): State<Arc<AuthServer>>, who: Requester, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let one = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let user_code = one("user_code");
    let csrf = one("csrf_token");
    // Double-submit: the form's token must equal this browser's cookie.
    let csrf_ok =
        !csrf.is_empty() && cookie(&headers, CSRF_COOKIE).is_some_and(|c| secrets_equal(csrf, &sha256(c.as_bytes())));
    if !csrf_ok {
        return error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form's CSRF token does not match this browser's cookie, so the form may have been posted by another site. Open the verification page again.",
        );
    }
    let Some(grant) = s.devices.by_user_code(user_code).await else {
        return enter_code(Some("That code is unknown, expired or already used. Check the code on your device."));
    };
    match one("decision") {
        "deny" => {
            s.devices.decide(user_code, DeviceState::Denied).await;
            return outcome(
                "Device not connected",
                view! { <p>"You denied the request. The device will be told "<code>"access_denied"</code>" when it next polls."</p> },
            );
        }
        "approve" => {}
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "The form must say decision=approve or decision=deny.",
            )
        }
    }
    let user = match s.users.sign_in(one("username"), one("password"), &who.key()) {
        Ok(user) => user,
        Err(why) => return consent(&s, user_code, csrf, Some(&why), None).await,
    };
    let granted = granted_scopes(&grant.scopes, &form);
    if granted.is_empty() {
        s.devices.decide(user_code, DeviceState::Denied).await;
        return outcome(
            "Device not connected",
            view! { <p>"You granted none of the scopes, so the device gets "<code>"access_denied"</code>"."</p> },
        );
    }
    let approved = DeviceState::Approved { username: user.username.clone(), scopes: granted.clone() };
    if !s.devices.decide(user_code, approved).await {
        return enter_code(Some("That code is unknown, expired or already used. Check the code on your device."));
    }
    tracing::info!(client_id = %grant.client_id, "device approved");
    outcome(
        "Device connected",
        view! { <p data-testid="device-approved">"You granted "<code>{scope_string(&granted)}</code>". Go back to your device: it picks up its token on its next poll."</p> },
    )
}
