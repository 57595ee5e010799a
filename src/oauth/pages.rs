//! The authorization server's own pages: the login and consent form and the
//! error page. Server-rendered HTML (Leptos `view!`, which escapes every
//! value) that works without JavaScript and refuses to be framed by other
//! origins (conformance 4).

use super::protocol::ResponseType;
use crate::demo::DEMO_USERS;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;

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
/// and any other server-rendered page of the process. `brand` says whose
/// page it is.
pub fn layout(brand: &str, card_class: &str, title: &str, body: impl IntoView + 'static) -> String {
    let doc_title = format!("{title} · {brand}");
    let card = format!("as-card {card_class}").trim_end().to_string();
    let brand = brand.to_string();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{doc_title}</title>
                <link rel="stylesheet" href="/pkg/oauth2-lab.css"/>
            </head>
            <body class="as-page">
                <main class=card>
                    <p class="as-brand">{brand}</p>
                    {body}
                </main>
            </body>
        </html>
    }
    .to_html()
}

pub const AS_BRAND: &str = "OAuth2 Lab · authorization server";

/// A page of the authorization server: `body` in its frame, protected.
pub fn as_page(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    protect((status, Html(layout(AS_BRAND, "", title, body))).into_response())
}

/// An error the user must see because the client cannot be trusted with a
/// redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = view! {
        <h1>{title.to_string()}</h1>
        <p class="as-message" role="alert">{message.to_string()}</p>
        <p class="as-note">"The authorization server shows this page instead of redirecting, because it cannot be sure the redirect would go to the real client."</p>
    };
    as_page(status, title, body)
}

/// What the consent page needs to know.
pub struct Consent<'a> {
    pub request_id: &'a str,
    pub csrf_token: &'a str,
    pub client_id: &'a str,
    pub client_name: &'a str,
    pub redirect_uri: &'a str,
    pub response_type: ResponseType,
    pub scopes: &'a [String],
    pub error: Option<&'a str>,
    pub username: &'a str,
}

/// An error shown above a form, if there is one.
pub fn form_error(error: Option<&str>) -> impl IntoView + 'static {
    error.map(|e| view! { <p class="as-error" role="alert">{e.to_string()}</p> })
}

/// The inside of a sign-in and consent form, shared by the authorization
/// endpoint's page and the device verification page: the scopes to tick,
/// any error, username and password, approve and deny.
pub fn sign_in_fields(scopes: &[String], error: Option<&str>, username: &str) -> impl IntoView + 'static {
    let scopes = scopes
        .iter()
        .map(|s| {
            let meaning = crate::oauth::scope::meaning(s);
            view! {
                <li><label><input type="checkbox" name="scope" value=s.clone() checked/>" "<code>{s.clone()}</code>": "{meaning}</label></li>
            }
        })
        .collect_view();
    view! {
        <fieldset><legend>"Scopes asked for"</legend><ul class="as-scopes">{scopes}</ul></fieldset>
        {form_error(error)}
        <label for="username">"Username"</label>
        <input id="username" name="username" autocomplete="username" required value=username.to_string()/>
        <label for="password">"Password"</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required/>
        <div class="as-buttons">
            <button type="submit" name="decision" value="approve" class="as-approve">"Sign in and approve"</button>
            <button type="submit" name="decision" value="deny" formnovalidate class="as-deny">"Deny"</button>
        </div>
    }
}

/// The demo users, for the note under a sign-in form.
pub fn demo_users() -> impl IntoView + 'static {
    let users = DEMO_USERS
        .iter()
        .enumerate()
        .map(|(i, (u, p, _, _))| {
            let sep = if i == 0 { "" } else { ", " };
            view! { {sep}<code>{*u}</code>" / "<code>{*p}</code> }
        })
        .collect_view();
    view! { <p class="as-note">"Demo users: "{users}"."</p> }
}

/// The scopes of `asked` the user left ticked in `form`.
pub fn granted_scopes(asked: &[String], form: &[(String, String)]) -> Vec<String> {
    asked.iter().filter(|sc| form.iter().any(|(k, v)| k == "scope" && v == *sc)).cloned().collect()
}

pub fn consent_page(c: &Consent, set_cookie: Option<HeaderValue>) -> Response {
    let flow = if c.response_type == ResponseType::Token {
        "an access token in the URL fragment (implicit grant)"
    } else {
        "a one-time authorization code"
    };
    let body = view! {
        <h1>"Sign in and authorize"</h1>
        <p><strong>{c.client_name.to_string()}</strong>" (client "<code>{c.client_id.to_string()}</code>") asks for access to your account. Untick what you do not want to grant:"</p>
        <form method="post" action="/oauth/authorize" class="as-form">
            <input type="hidden" name="request_id" value=c.request_id.to_string()/>
            <input type="hidden" name="csrf_token" value=c.csrf_token.to_string()/>
            {sign_in_fields(c.scopes, c.error, c.username)}
        </form>
        <p class="as-note">"Either way you go back to "<code>{c.redirect_uri.to_string()}</code>", with "{flow}" or an error."</p>
        {demo_users()}
    };
    let mut res = as_page(StatusCode::OK, "Sign in", body);
    if let Some(cookie) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    res
}
