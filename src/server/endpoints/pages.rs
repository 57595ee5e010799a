//! The authorization server's own pages: the login and consent form and the
//! error page. Plain server-rendered HTML that works without JavaScript and
//! refuses to be framed by other origins (conformance 4).

use crate::demo::DEMO_USERS;
use crate::server::util::html_escape as esc;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Headers every page of the authorization server carries.
pub fn protect(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// The frame of every server-rendered page: the authorization server's,
/// and the lab's apps'. `brand` says whose page it is.
pub fn layout(brand: &str, card_class: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {brand}</title>
<link rel="stylesheet" href="/pkg/oauth2-lab.css">
</head>
<body class="as-page">
<main class="as-card {card_class}">
<p class="as-brand">{brand}</p>
{body}
</main>
</body>
</html>"#,
        title = esc(title)
    )
}

pub const AS_BRAND: &str = "OAuth2 Lab · authorization server";

/// An error the user must see because the client cannot be trusted with a
/// redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        r#"<h1>{}</h1>
<p class="as-message" role="alert">{}</p>
<p class="as-note">The authorization server shows this page instead of redirecting, because it cannot be sure the redirect would go to the real client.</p>"#,
        esc(title),
        esc(message)
    );
    protect((status, Html(layout(AS_BRAND, "", title, &body))).into_response())
}

/// What the consent page needs to know.
pub struct Consent<'a> {
    pub request_id: &'a str,
    pub csrf_token: &'a str,
    pub client_id: &'a str,
    pub client_name: &'a str,
    pub redirect_uri: &'a str,
    pub response_type: &'a str,
    pub scopes: &'a [String],
    pub error: Option<&'a str>,
    pub username: &'a str,
}

fn scope_meaning(scope: &str) -> &'static str {
    match scope {
        "read" => "read your account and your home timeline",
        "write" => "post statuses in your name",
        _ => "",
    }
}

/// The inside of a sign-in and consent form, shared by the authorization
/// endpoint's page and the device verification page: the scopes to tick,
/// any error, username and password, approve and deny.
pub fn sign_in_fields(scopes: &[String], error: Option<&str>, username: &str) -> String {
    let scopes: String = scopes
        .iter()
        .map(|s| {
            format!(
                r#"<li><label><input type="checkbox" name="scope" value="{s}" checked> <code>{s}</code>: {m}</label></li>"#,
                s = esc(s),
                m = scope_meaning(s)
            )
        })
        .collect();
    let error = error.map(|e| format!(r#"<p class="as-error" role="alert">{}</p>"#, esc(e))).unwrap_or_default();
    format!(
        r#"<fieldset><legend>Scopes asked for</legend><ul class="as-scopes">{scopes}</ul></fieldset>
{error}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{user}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="as-buttons">
<button type="submit" name="decision" value="approve" class="as-approve">Sign in and approve</button>
<button type="submit" name="decision" value="deny" formnovalidate class="as-deny">Deny</button>
</div>"#,
        user = esc(username)
    )
}

/// The demo users, for the note under a sign-in form.
pub fn demo_users() -> String {
    DEMO_USERS.iter().map(|(u, p, _)| format!("<code>{u}</code> / <code>{p}</code>")).collect::<Vec<_>>().join(", ")
}

/// The scopes of `asked` the user left ticked in `form`.
pub fn granted_scopes(asked: &[String], form: &[(String, String)]) -> Vec<String> {
    asked.iter().filter(|sc| form.iter().any(|(k, v)| k == "scope" && v == *sc)).cloned().collect()
}

pub fn consent_page(c: &Consent, set_cookie: Option<HeaderValue>) -> Response {
    let flow = if c.response_type == "token" {
        "an access token in the URL fragment (implicit grant)"
    } else {
        "a one-time authorization code"
    };
    let body = format!(
        r#"<h1>Sign in and authorize</h1>
<p><strong>{name}</strong> (client <code>{id}</code>) asks for access to your account. Untick what you do not want to grant:</p>
<form method="post" action="/oauth/authorize" class="as-form">
<input type="hidden" name="request_id" value="{rid}">
<input type="hidden" name="csrf_token" value="{csrf}">
{fields}
</form>
<p class="as-note">Either way you go back to <code>{redirect}</code>, with {flow} or an error.</p>
<p class="as-note">Demo users: {users}.</p>"#,
        name = esc(c.client_name),
        id = esc(c.client_id),
        rid = esc(c.request_id),
        csrf = esc(c.csrf_token),
        redirect = esc(c.redirect_uri),
        users = demo_users(),
        fields = sign_in_fields(c.scopes, c.error, c.username),
    );
    let mut res = Html(layout(AS_BRAND, "", "Sign in", &body)).into_response();
    if let Some(cookie) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    protect(res)
}
