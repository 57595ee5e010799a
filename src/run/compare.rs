//! The comparison table of grants run side by side, computed from their
//! recorded runs: counts, channels, where each secret travelled and who saw
//! it are read off the recorded bytes. Only the last two rows (status and
//! typical use) are facts about the grant rather than the traffic.

use super::narration::when_to_use;
use super::{parse_form, Channel, Exchange, Grant, Role, RunRecord, StepKind};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub struct Row {
    pub label: &'static str,
    pub cells: Vec<String>,
}

/// Everything of a message a value could hide in, Basic credentials decoded.
fn message_text(x: &Exchange) -> (String, String) {
    let mut req = format!("{}\n{}\n", x.request.target, x.request.body);
    for (k, v) in &x.request.headers {
        req.push_str(v);
        req.push('\n');
        if k.eq_ignore_ascii_case("authorization") {
            if let Some(b) = v.strip_prefix("Basic ").and_then(|b| STANDARD.decode(b.trim()).ok()) {
                req.push_str(&String::from_utf8_lossy(&b));
                req.push('\n');
            }
        }
    }
    let mut res = x.response.body.clone();
    for (_, v) in &x.response.headers {
        res.push('\n');
        res.push_str(v);
    }
    (req, res)
}

/// Who held `value` on the wire: senders and receivers of every message
/// that carried it, in lane order; "not used" if it never travelled.
fn who_sees(record: &RunRecord, value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return "not used".into() };
    let mut roles: Vec<Role> = vec![];
    let mut messages = 0;
    for x in record.steps.iter().filter_map(|s| s.exchange.as_ref().map(|x| (s, x))) {
        let (step, x) = x;
        let (req, res) = message_text(x);
        let mut add = |r: Role| {
            if !roles.contains(&r) {
                roles.push(r);
            }
        };
        if req.contains(value) {
            messages += 1;
            add(step.from);
            add(step.to);
        }
        if res.contains(value) {
            messages += 1;
            add(step.to);
            add(step.from);
        }
    }
    if roles.is_empty() {
        return "not used".into();
    }
    roles.sort_by_key(|r| r.lane());
    let names: Vec<&str> = roles.iter().map(|r| r.title_in(record.grant)).collect();
    format!("{} ({} message{})", names.join(", "), messages, if messages == 1 { "" } else { "s" })
}

fn artifact<'a>(record: &'a RunRecord, name: &str) -> Option<&'a str> {
    record.artifacts.iter().find(|a| a.name == name).map(|a| a.value.as_str())
}

/// The requests that ask the token endpoint for a grant's first tokens:
/// token requests, and the device's polls (RFC 8628 §3.4).
fn token_requests(record: &RunRecord) -> impl Iterator<Item = &Exchange> {
    record
        .steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::TokenRequest | StepKind::DevicePoll))
        .filter_map(|s| s.exchange.as_ref())
}

fn client_auth(record: &RunRecord) -> String {
    let Some(x) = token_requests(record).next() else {
        return "none: no token request (the token comes from the authorization endpoint)".into();
    };
    let body = parse_form(&x.request.body);
    let in_query = x.request.query().map(parse_form).unwrap_or_default();
    if in_query.iter().any(|(k, _)| k == "client_secret") {
        "secret in the URL query, which RFC 6749 §2.3.1 forbids".into()
    } else if x.request.header("authorization").is_some_and(|a| a.starts_with("Basic ")) {
        "HTTP Basic (client_secret_basic)".into()
    } else if body.iter().any(|(k, _)| k == "client_secret") {
        "secret in the body (client_secret_post)".into()
    } else {
        "none: a public client sends only its client_id".into()
    }
}

fn pkce(record: &RunRecord) -> String {
    let sent = record
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::AuthorizeRequest)
        .filter_map(|s| s.exchange.as_ref()?.request.query().map(parse_form))
        .flatten()
        .find(|(k, _)| k == "code_challenge_method")
        .map(|(_, v)| v);
    let verified =
        token_requests(record).any(|x| parse_form(&x.request.body).iter().any(|(k, _)| k == "code_verifier"));
    match (sent, verified) {
        (Some(m), true) => format!("yes: {m} challenge, verifier at the token endpoint"),
        (Some(m), false) => format!("challenge ({m}) sent, never verified"),
        (None, _) => "no".into(),
    }
}

fn status(grant: Grant) -> &'static str {
    match grant {
        Grant::AuthorizationCode => "recommended, with PKCE (RFC 9700 §2.1.1); kept in the OAuth 2.1 draft, with PKCE",
        Grant::ClientCredentials => {
            "for confidential clients acting on their own behalf (RFC 6749 §4.4); kept in the OAuth 2.1 draft"
        }
        Grant::Implicit => "SHOULD NOT be used (RFC 9700 §2.1.2); removed from the OAuth 2.1 draft",
        Grant::Password | Grant::MastodonBot => {
            "MUST NOT be used (RFC 9700 §2.4); removed from the OAuth 2.1 draft and from Mastodon 4.4"
        }
        Grant::DeviceCode => "for devices that lack a browser or have limited input (RFC 8628 §1)",
        Grant::OpenIdConnect => {
            "the code grant with PKCE, plus an ID token the app checks (OpenID Connect Core 1.0 §3.1)"
        }
        Grant::OwnApp => "your own program: what it did against the RFCs is marked on its steps",
        Grant::OwnProvider => "your own provider: what it answered the lab's client",
    }
}

/// Whether the app got an ID token, and how its checks went.
fn id_token(record: &RunRecord) -> String {
    let checks =
        record.steps.iter().find(|s| s.kind == crate::run::StepKind::IdTokenCheck).map_or(&[][..], |s| &s.checks);
    if checks.is_empty() {
        return "no: the app learns nothing about the user from the token".into();
    }
    let passed = checks.iter().filter(|c| c.pass).count();
    format!("yes: the app made {} checks, {passed} passed", checks.len())
}

/// The table for runs side by side, one cell per run in the given order.
pub fn compare(records: &[RunRecord]) -> Vec<Row> {
    let row =
        |label: &'static str, f: &dyn Fn(&RunRecord) -> String| Row { label, cells: records.iter().map(f).collect() };
    let count = |r: &RunRecord, channel: Option<Channel>| {
        r.steps.iter().filter(|s| s.exchange.is_some() && channel.is_none_or(|c| s.channel == c)).count()
    };
    vec![
        row("HTTP round trips", &|r| count(r, None).to_string()),
        row("Front-channel messages (pages the browser loads)", &|r| count(r, Some(Channel::Front)).to_string()),
        row("Back-channel messages (direct requests)", &|r| count(r, Some(Channel::Back)).to_string()),
        row("The user's password: who sees it", &|r| who_sees(r, artifact(r, "password"))),
        row("The client secret: who sees it", &|r| who_sees(r, artifact(r, "client_secret"))),
        row("The authorization code: who sees it", &|r| who_sees(r, artifact(r, "code"))),
        row("The access token: who sees it", &|r| who_sees(r, artifact(r, "access_token"))),
        row("Client authentication", &client_auth),
        row("Refresh token issued", &|r| {
            if artifact(r, "refresh_token").is_some() {
                "yes".into()
            } else {
                "no".into()
            }
        }),
        row("The user has to act", &|r| {
            let acts = r.steps.iter().any(|s| matches!(s.kind, StepKind::UserSignsIn | StepKind::TypesPassword));
            if acts {
                "yes: signs in".into()
            } else {
                "no".into()
            }
        }),
        row("PKCE", &pkce),
        row("ID token: who signed in", &id_token),
        row("Status (RFCs and the OAuth 2.1 draft)", &|r| status(r.grant).into()),
        row("Typical use", &|r| when_to_use(r.grant).into()),
    ]
}
