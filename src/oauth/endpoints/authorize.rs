//! The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1): validate the
//! request, show the login and consent page, and send the user back with a
//! code, a token or an error.

use crate::oauth::endpoints::AUTHORIZE;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::grants::{for_response_type, names, resolve_scope, AuthorizationRequest, AuthorizeGrant, Delivery};
use crate::oauth::pages::{consent_page, error_page, Consent};
use crate::oauth::protocol::ResponseType;
use crate::oauth::store::{Client, Pending};
use crate::oauth::util::{cookie, random_token, secrets_equal, sha256, strict_cookie, Params};
use crate::oauth::{AuthServer, Defence, Requester};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

const COOKIE: &str = "oauth2_lab_browser";

/// The longest OpenID Connect `nonce` kept with a code.
const MAX_NONCE: usize = 512;

/// Why a request cannot go on.
enum Refusal {
    /// Client or redirect URI cannot be trusted: show a page, never redirect.
    Page(StatusCode, String, String),
    /// Anything else: redirect to the client with the error.
    Redirect { redirect_uri: String, delivery: Delivery, state: Option<String>, error: OAuthError },
}

fn page(title: &str, message: impl Into<String>) -> Refusal {
    Refusal::Page(StatusCode::BAD_REQUEST, title.to_string(), message.into())
}

/// Where the response goes: the `redirect_uri` sent, if registered, or
/// the client's only one (RFC 6749 §3.1.2.3). A wrong one is never
/// redirected to (RFC 9700 §4.1).
fn redirect_uri(s: &AuthServer, client: &Client, params: &Params) -> Result<String, Refusal> {
    let client_id = &client.client_id;
    match params.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri || loopback_any_port(r, uri)) => Ok(uri.to_string()),
        // With exact matching off for this client (`Hooks`): go-oauth2's
        // rule, any URI whose host ends with a registered host.
        Some(uri)
            if client.redirect_uris.iter().any(|r| host_suffix_match(r, uri))
                && s.defence_off(client_id, Defence::ExactRedirectUri) =>
        {
            Ok(uri.to_string())
        }
        Some(uri) => {
            Err(page(
                "Redirect URI not registered",
                format!(
                    "The redirect_uri {uri} is not registered for {client_id}. It must equal a registered URI exactly, character for character, except that a loopback URI may differ in its port (RFC 8252 section 7.3): prefix or suffix matches would let an attacker steer the code to a page they control (RFC 6749 section 3.1.2.3, RFC 9700 section 4.1). Registered: {}.",
                    if client.redirect_uris.is_empty() { "none".to_string() } else { client.redirect_uris.join(", ") }
                ),
            ))
        }
        None if client.redirect_uris.len() == 1 => Ok(client.redirect_uris[0].clone()),
        None => {
            Err(page(
                "Redirect URI missing",
                format!("{client_id} has {} redirect URIs registered, so the request must say which one with redirect_uri (RFC 6749 section 3.1.2.3).", client.redirect_uris.len()),
            ))
        }
    }
}

async fn validate(
    s: &AuthServer,
    query: &str,
) -> Result<(AuthorizationRequest, std::sync::Arc<Client>, &'static dyn AuthorizeGrant), Refusal> {
    let (params, repeated) = Params::parse_lenient(query.as_bytes());
    if let Some(r) = repeated.iter().find(|r| *r == "client_id" || *r == "redirect_uri") {
        return Err(page(
            "Invalid request",
            format!("The parameter {r} was sent more than once (RFC 6749 section 3.1)."),
        ));
    }
    let client_id = params.get("client_id").ok_or_else(|| {
        page("Invalid request", "The client_id parameter is missing (RFC 6749 section 4.1.1, section 4.2.1).")
    })?;
    let client = s.clients.get(client_id).await.ok_or_else(|| {
        page("Unknown client", format!("There is no client with the id {client_id}. It may never have been registered, or its registration expired."))
    })?;
    let redirect_uri = redirect_uri(s, &client, &params)?;
    let state = params.get("state").map(str::to_string);
    let response_type = params.get("response_type");
    let grant = response_type.and_then(ResponseType::parse).and_then(for_response_type);
    let delivery = grant.map(|g| g.delivery()).unwrap_or(if response_type == Some(ResponseType::Token.as_str()) {
        Delivery::Fragment
    } else {
        Delivery::Query
    });
    let redirect = |error: OAuthError| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        delivery,
        state: state.clone(),
        error,
    };

    if let Some(r) = repeated.iter().find(|r| crate::oauth::util::is_protocol_parameter(r)) {
        return Err(redirect(OAuthError::invalid_request(format!(
            "The parameter {r} was sent more than once (RFC 6749 section 3.1)."
        ))));
    }
    let Some(grant) = grant else {
        let why = match response_type {
            None => "The response_type parameter is missing. Use code (authorization code grant) or token (implicit grant).".to_string(),
            Some(rt) => format!("The response_type {rt} is not supported. Use code (authorization code grant) or token (implicit grant)."),
        };
        return Err(redirect(OAuthError::new(ErrorCode::UnsupportedResponseType, why)));
    };
    if !client.allows_grant(grant.grant_type()) || !client.allows_response(grant.response_type()) {
        return Err(redirect(OAuthError::unauthorized_client(format!(
            "The client {client_id} is not registered for response_type {} (the {} grant); it is registered for: {}.",
            grant.response_type(),
            grant.grant_type(),
            names(client.grant_types.iter())
        ))));
    }
    let scopes = resolve_scope(&client, params.get("scope")).map_err(redirect)?;
    let code_challenge = grant.check(&client, &params).map_err(redirect)?;
    let openid = crate::oauth::endpoints::oidc::is_openid(&scopes);
    if openid {
        crate::oauth::endpoints::oidc::check_prompt(&params).map_err(redirect)?;
    }
    let nonce = params.get("nonce").filter(|_| openid);
    if nonce.is_some_and(|n| n.len() > MAX_NONCE) {
        return Err(redirect(OAuthError::invalid_request(format!(
            "nonce is longer than the {MAX_NONCE} characters this server keeps (OpenID Connect Core 1.0 section 3.1.2.1)."
        ))));
    }
    let login_hint = params.get("login_hint").filter(|h| openid && h.len() <= 100).map(str::to_string);
    let req = AuthorizationRequest {
        response_type: grant.response_type(),
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_sent: params.contains("redirect_uri"),
        scopes,
        state: state.clone(),
        code_challenge,
        nonce: nonce.map(str::to_string),
        login_hint,
    };
    Ok((req, client, grant))
}

/// Builds the redirect back to the client, with the parameters in the query
/// or, for the implicit grant, the fragment (§4.1.2, §4.2.2), and `iss`,
/// which tells the client which server answered (RFC 9207 §2).
fn redirect(s: &AuthServer, status: StatusCode, uri: &str, delivery: Delivery, params: &[(&str, String)]) -> Response {
    if uri == OOB {
        return out_of_band(params);
    }
    let mut params = params.to_vec();
    params.push(("iss", s.settings.public_url.clone()));
    let params = &params[..];
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let location = match url::Url::parse(uri) {
        Ok(mut url) => {
            match delivery {
                Delivery::Query => {
                    url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
                }
                Delivery::Fragment => url.set_fragment(Some(&encoded)),
            }
            url.to_string()
        }
        // Registered URIs always parse. Only a switched-off `Defence::ExactRedirectUri` lets
        // through one that does not (go-oauth2's rule took any string whose
        // host ends with the registered host), and it goes out as sent.
        Err(_) => match delivery {
            Delivery::Query => format!("{uri}{}{encoded}", if uri.contains('?') { '&' } else { '?' }),
            Delivery::Fragment => format!("{uri}#{encoded}"),
        },
    };
    let mut res = status.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// The redirect URI of a client with no web page to come back to, as
/// Mastodon and the OAuth 2.0 drafts before RFC 8252 name it: the server
/// shows the code for the user to copy into the app.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The page that shows the code (or the error) to copy into the app.
fn out_of_band(params: &[(&str, String)]) -> Response {
    let value = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let mut res = match (value("code"), value("error")) {
        (Some(code), _) => crate::oauth::pages::as_page(
            StatusCode::OK,
            "Authorization code",
            view! {
                <h1>"Copy this code into the app"</h1>
                <p>"The app registered no page to come back to (redirect URI "<code>{OOB}</code>"), so here is its authorization code. It works once, within a few minutes."</p>
                <p><code class="oob-code" id="authorization-code" data-testid="oob-code">{code}</code></p>
            },
        ),
        (None, error) => crate::oauth::pages::error_page(
            StatusCode::BAD_REQUEST,
            "The app gets no code",
            &format!("{}: {}", error.unwrap_or_default(), value("error_description").unwrap_or_default()),
        ),
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Whether an error may go to `uri` before anyone has signed in: only to
/// this server's own origin or a loopback host. Anywhere else, a redirect
/// before sign-in would make the server an open redirector (RFC 9700
/// §4.11.2): any open registration could send a victim on to any site.
fn trusted_before_sign_in(settings: &crate::oauth::Settings, uri: &str) -> bool {
    let (Ok(target), Ok(own)) = (url::Url::parse(uri), url::Url::parse(&settings.public_url)) else {
        return false;
    };
    target.origin() == own.origin() || is_loopback(&target)
}

/// A loopback host: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn refuse(s: &AuthServer, status: StatusCode, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Page(code, title, message) => error_page(code, &title, &message),
        Refusal::Redirect { redirect_uri, delivery, state, error } if trusted_before_sign_in(&s.settings, &redirect_uri) => {
            tracing::info!(error = error.code.as_str(), "authorization request refused");
            redirect(s, status, &redirect_uri, delivery, &error.redirect_params(state.as_deref()))
        }
        Refusal::Redirect { redirect_uri, error, .. } => error_page(
            StatusCode::BAD_REQUEST,
            "The request was refused",
            &format!(
                "{} ({}). The error would have gone back to {redirect_uri}, but this server sends nobody on to that site before they have signed in, so that it cannot be used to redirect people to any page (RFC 9700 section 4.11.2).",
                error.description,
                error.code.as_str()
            ),
        ),
    }
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE).filter(|v| v.len() >= 32 && v.len() <= 100)
}

/// GET: validate, then show the login and consent page.
pub async fn show(State(s): State<Arc<AuthServer>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let (req, client, _grant) = match validate(&s, query.as_deref().unwrap_or("")).await {
        Ok(v) => v,
        Err(refusal) => return refuse(&s, StatusCode::FOUND, refusal),
    };
    let (browser, set_cookie) = match browser_cookie(&headers) {
        Some(b) => (b, None),
        None => {
            let b = random_token("");
            let secure = s.settings.public_url.starts_with("https://");
            let cookie = strict_cookie(COOKIE, b.clone(), AUTHORIZE, Duration::from_secs(3600), secure);
            (b, cookie)
        }
    };
    let request_id = random_token("req_");
    let csrf = random_token("");
    let pending = Pending {
        request: req.clone(),
        client_name: client.client_name.clone(),
        csrf: csrf.clone(),
        browser: sha256(browser.as_bytes()),
    };
    let inserted = s.pending.insert(&request_id, pending, Instant::now() + s.settings.pending_ttl).await;
    if inserted.is_err() {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many sign-ins in progress",
            "This server holds a fixed number of open sign-in pages so that a flood cannot exhaust its memory, and that limit is reached. Try again in a minute.",
        );
    }
    consent_page(
        &Consent {
            request_id: &request_id,
            csrf_token: &csrf,
            client_id: &client.client_id,
            client_name: &client.client_name,
            redirect_uri: &req.redirect_uri,
            response_type: req.response_type,
            scopes: &req.scopes,
            error: None,
            // OpenID Connect `login_hint`: the username, filled in.
            username: req.login_hint.as_deref().unwrap_or(""),
        },
        set_cookie,
    )
}

/// The pending request a posted form answers, taken out of the store, if
/// the form comes from the browser that was shown it with its CSRF token.
async fn take_pending(
    s: &AuthServer,
    headers: &HeaderMap,
    request_id: &str,
    csrf: &str,
) -> Result<Pending, Box<Response>> {
    let Some(pending) = s.pending.take(request_id).await else {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in page has expired or was already used. Go back to the app and start again.",
        )));
    };
    let browser_ok = browser_cookie(headers).is_some_and(|b| secrets_equal(&b, &pending.browser));
    let csrf_ok: bool = csrf.as_bytes().ct_eq(pending.csrf.as_bytes()).into();
    if !browser_ok || !csrf_ok {
        // The real user's form must keep working.
        s.pending.put_back(request_id, pending, s.settings.pending_ttl).await;
        return Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form's CSRF token or this browser's cookie does not match the sign-in page that was shown, so the form may have been posted by another site. Open the sign-in page again.",
        )));
    }
    Ok(pending)
}

/// POST: the user's decision. Every outcome that goes back to the client is
/// a 303, so the browser follows it with GET (RFC 9700 §4.12).
pub async fn decide(State(s): State<Arc<AuthServer>>, who: Requester, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let one = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let request_id = one("request_id");
    let pending = match take_pending(&s, &headers, request_id, one("csrf_token")).await {
        Ok(p) => p,
        Err(page) => return *page,
    };
    let req = &pending.request;
    let Some(grant) = for_response_type(req.response_type) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request", "Unknown response type.");
    };
    let back = |error: OAuthError| {
        redirect(
            &s,
            StatusCode::SEE_OTHER,
            &req.redirect_uri,
            grant.delivery(),
            &error.redirect_params(req.state.as_deref()),
        )
    };
    match one("decision") {
        "deny" => {
            return back(OAuthError::new(
                ErrorCode::AccessDenied,
                "The user denied the request: no code or token was issued (RFC 6749 section 4.1.2.1, section 4.2.2.1).",
            ))
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
    let username = one("username");
    let again = async |error: &str| {
        s.pending.put_back(request_id, pending.clone(), s.settings.pending_ttl).await;
        consent_page(
            &Consent {
                request_id,
                csrf_token: &pending.csrf,
                client_id: &req.client_id,
                client_name: &pending.client_name,
                redirect_uri: &req.redirect_uri,
                response_type: req.response_type,
                scopes: &req.scopes,
                error: Some(error),
                username,
            },
            None,
        )
    };
    let user = match s.users.sign_in(username, one("password"), &who.key()) {
        Ok(user) => user,
        Err(why) => return again(&why).await,
    };
    let granted = crate::oauth::pages::granted_scopes(&req.scopes, &form);
    if granted.is_empty() {
        return back(OAuthError::new(ErrorCode::AccessDenied, "The user granted none of the scopes asked for."));
    }
    match grant.approve(&s, req, &user, &granted).await {
        Ok(params) => {
            tracing::info!(client_id = %req.client_id, response_type = %req.response_type, "authorization approved");
            redirect(&s, StatusCode::SEE_OTHER, &req.redirect_uri, grant.delivery(), &params)
        }
        Err(e) if e.status() == StatusCode::SERVICE_UNAVAILABLE => {
            error_page(StatusCode::SERVICE_UNAVAILABLE, "The server is full", &e.description)
        }
        Err(e) => back(e),
    }
}

/// RFC 8252 §7.3: a native app's loopback IP redirect URI, registered
/// without a port, matches at any port, since the app listens on whichever
/// port it gets. Everything else must match exactly.
fn loopback_any_port(registered: &str, uri: &str) -> bool {
    let (Ok(r), Ok(u)) = (url::Url::parse(registered), url::Url::parse(uri)) else { return false };
    let loopback_ip = |x: &url::Url| match x.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    r.scheme() == "http"
        && u.scheme() == "http"
        && loopback_ip(&r)
        && r.port().is_none()
        && r.host() == u.host()
        && r.path() == u.path()
        && r.query() == u.query()
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none()
}

/// go-oauth2/oauth2's old `DefaultValidateURI` (its issues 105 and 298):
/// any URI whose host and port end with the registered ones. Used only by
/// a switched-off `Defence::ExactRedirectUri`, to show what it lets through.
fn host_suffix_match(registered: &str, uri: &str) -> bool {
    // Go's url.Parse is lenient (it takes `attacker-127.0.0.1` as a host,
    // which the url crate refuses), so the host is read by hand; only plain
    // http(s) URIs whose authority is letters, digits, `.`, `-` and `:` are
    // compared, so the host checked is the host the redirect goes to.
    let host = |u: &str| {
        let rest = u.strip_prefix("http://").or_else(|| u.strip_prefix("https://"))?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let plain =
            !u.contains(['\\', ' ']) && authority.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
        (plain && !authority.is_empty()).then(|| authority.to_string())
    };
    matches!((host(registered), host(uri)), (Some(base), Some(h)) if h.ends_with(&base))
}

#[cfg(test)]
mod tests {
    use super::host_suffix_match;

    #[test]
    fn the_go_oauth2_rule_matches_host_suffixes_and_nothing_that_would_redirect_elsewhere() {
        let registered = "http://127.0.0.1:3000/app/callback";
        assert!(host_suffix_match(registered, "http://attacker-127.0.0.1:3000/steal"));
        assert!(host_suffix_match(registered, "https://127.0.0.1:3000/other/path"));
        // What a browser would read as another host is never a match.
        assert!(!host_suffix_match(registered, "http://evil.example\\@127.0.0.1:3000/x"));
        assert!(!host_suffix_match(registered, "http://evil.example@127.0.0.1:3000/x"));
        assert!(!host_suffix_match(registered, "http://evil.example/?127.0.0.1:3000"));
        assert!(!host_suffix_match(registered, "javascript://127.0.0.1:3000/%0aalert(1)"));
        assert!(!host_suffix_match(registered, "http://127.0.0.1:3001/x"));
    }
}
