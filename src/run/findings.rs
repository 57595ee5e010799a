//! What a client did against the RFCs and the security BCP (RFC 9700),
//! read off the recorded exchanges of a run. The lab's own apps follow
//! the RFCs; these findings are for the learner's own program, recorded on
//! the "your own app" page, so they are drawn for its runs only.
//!
//! Every finding is a fact of the record: a parameter that is there or is
//! not, a method, a status and an error the server answered.

use super::{parse_form, Exchange, RunRecord, StepKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Against a MUST, a MUST NOT or a SHOULD NOT.
    Problem,
    /// NOT RECOMMENDED, or something the client should look at.
    Advice,
    /// The server refused the request: what it said.
    Refused,
}

impl Severity {
    pub fn class(self) -> &'static str {
        match self {
            Self::Problem => "problem",
            Self::Advice => "advice",
            Self::Refused => "refused",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::Problem => "Problem",
            Self::Advice => "Advice",
            Self::Refused => "Refused",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// A few words, like `No PKCE`.
    pub title: String,
    /// What the record shows and why it matters.
    pub text: String,
    /// Like `RFC 9700 §2.1.1`, and the section's address.
    pub rfc: &'static str,
    pub url: &'static str,
}

fn finding(severity: Severity, title: &str, text: impl Into<String>, rfc: &'static str, url: &'static str) -> Finding {
    Finding { severity, title: title.to_string(), text: text.into(), rfc, url }
}

const RFC6749_2_3_1: &str = "https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1";
const RFC9700_2_1_1: &str = "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1";

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// The query's parameters and, for a form, the body's.
fn query_of(x: &Exchange) -> Vec<(String, String)> {
    x.request.query().map(parse_form).unwrap_or_default()
}

fn form_of(x: &Exchange) -> Vec<(String, String)> {
    let form = x.request.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        parse_form(&x.request.body)
    } else {
        vec![]
    }
}

fn bearer(x: &Exchange) -> Option<&str> {
    let value = x.request.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The error a server answered, as RFC 6749 §5.2 or RFC 6750 §3 write it.
fn refusal(x: &Exchange) -> Option<Finding> {
    if x.response.status < 400 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_str(&x.response.body).unwrap_or_default();
    let from_header = x.response.header("www-authenticate").and_then(|h| {
        let (_, rest) = h.split_once("error=\"")?;
        rest.split('"').next().map(str::to_string)
    });
    let error = body["error"].as_str().map(str::to_string).or(from_header)?;
    let description = body["error_description"].as_str().unwrap_or("");
    Some(finding(
        Severity::Refused,
        &format!("The server refused: {error}"),
        format!("{} {error}. {description}", x.response.status),
        "RFC 6749 §5.2",
        "https://www.rfc-editor.org/rfc/rfc6749#section-5.2",
    ))
}

/// The authorization request: state, PKCE, the implicit grant.
fn authorization_request(q: &[(String, String)], out: &mut Vec<Finding>) {
    let response_type = param(q, "response_type").unwrap_or_default();
    let challenge = param(q, "code_challenge");
    let code = response_type.split(' ').any(|t| t == "code");
    if param(q, "state").is_none() {
        if challenge.is_some() && code {
            out.push(finding(
                Severity::Advice,
                "No state",
                "The request sends no state. Its PKCE challenge protects the redirect against cross-site request forgery once the client knows the server supports PKCE; state is still the usual way to carry where the user was going.",
                "RFC 9700 §4.7.1",
                "https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1",
            ));
        } else {
            out.push(finding(
                Severity::Problem,
                "No state, no PKCE",
                "The request sends neither state nor a PKCE challenge, so nothing ties the answer to the browser that asked: an attacker can send the user back to the client with the attacker's own code (cross-site request forgery).",
                "RFC 6749 §10.12",
                "https://www.rfc-editor.org/rfc/rfc6749#section-10.12",
            ));
        }
    }
    if code && challenge.is_none() {
        out.push(finding(
            Severity::Problem,
            "No PKCE",
            "The code request has no code_challenge. Public clients MUST use PKCE and confidential clients SHOULD: it keeps a stolen or injected code from being redeemed by anyone but the client that asked.",
            "RFC 9700 §2.1.1",
            RFC9700_2_1_1,
        ));
    }
    if challenge.is_some() && param(q, "code_challenge_method").as_deref() != Some("S256") {
        out.push(finding(
            Severity::Problem,
            "PKCE with plain",
            "The challenge is sent without code_challenge_method=S256, so it is the verifier itself (plain), readable by anyone who sees this URL. Use S256.",
            "RFC 9700 §2.1.1",
            RFC9700_2_1_1,
        ));
    }
    if response_type.split(' ').any(|t| t == "token") {
        out.push(finding(
            Severity::Problem,
            "The implicit grant",
            "response_type asks for the access token in the redirect's URL, where browser history, Referer headers and redirect flaws can leak it. Clients SHOULD NOT use the implicit grant; use the code grant with PKCE.",
            "RFC 9700 §2.1.2",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
        ));
    }
}

/// The token request: its method, the password grant, how the client
/// authenticates.
fn token_request(x: &Exchange, form: &[(String, String)], out: &mut Vec<Finding>) {
    if x.request.method != "POST" {
        out.push(finding(
            Severity::Problem,
            "The token request is not a POST",
            format!(
                "The client sends {} to the token endpoint. It MUST use POST, with the parameters in the body.",
                x.request.method
            ),
            "RFC 6749 §3.2",
            "https://www.rfc-editor.org/rfc/rfc6749#section-3.2",
        ));
    }
    if param(form, "grant_type").as_deref() == Some("password") {
        out.push(finding(
            Severity::Problem,
            "The password grant",
            "The client handles the user's password itself. The resource owner password credentials grant MUST NOT be used; a bot or app signs the user in with the code grant once and keeps its refresh token.",
            "RFC 9700 §2.4",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.4",
        ));
    }
    if param(form, "client_secret").is_some() {
        out.push(finding(
            Severity::Advice,
            "The secret in the body",
            "client_secret is sent in the form body. That is NOT RECOMMENDED and meant for clients that cannot send HTTP Basic; send Authorization: Basic with the id and secret instead.",
            "RFC 6749 §2.3.1",
            RFC6749_2_3_1,
        ));
    }
}

/// The scopes a token answer granted, where it names them.
fn granted_scopes(x: &Exchange) -> Option<Vec<String>> {
    let body: serde_json::Value = serde_json::from_str(&x.response.body).ok()?;
    body["access_token"].as_str()?;
    Some(body["scope"].as_str()?.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// The findings of each step of a learner's own program's run; none for
/// any other run, whose app is the lab's and follows the RFCs.
pub fn of_run(record: &RunRecord) -> Vec<Vec<Finding>> {
    if record.grant == super::Grant::OwnApp {
        of(record)
    } else {
        vec![vec![]; record.steps.len()]
    }
}

/// The findings of each step of `record`, one list per step.
pub fn of(record: &RunRecord) -> Vec<Vec<Finding>> {
    // Facts carried from step to step: the scope asked for, the tokens
    // revoked and the refresh tokens already spent.
    let mut asked: Option<Vec<String>> = None;
    let mut revoked: Vec<String> = vec![];
    let mut spent: Vec<String> = vec![];
    let mut granted: Option<Vec<String>> = None;
    record
        .steps
        .iter()
        .map(|step| {
            let mut out = vec![];
            let Some(x) = &step.exchange else { return out };
            let (q, form) = (query_of(x), form_of(x));
            if param(&q, "client_secret").is_some() {
                out.push(finding(
                    Severity::Problem,
                    "The secret in the URL",
                    "client_secret is in the request URI, where servers, proxies and browsers log it. It MUST NOT be included in the request URI.",
                    "RFC 6749 §2.3.1",
                    RFC6749_2_3_1,
                ));
            }
            if param(&q, "access_token").is_some() {
                out.push(finding(
                    Severity::Problem,
                    "The access token in the URL",
                    "The access token rides in the query, where logs, history and Referer headers keep it. Send it in the Authorization header; the query SHOULD NOT be used.",
                    "RFC 6750 §2.3",
                    "https://www.rfc-editor.org/rfc/rfc6750#section-2.3",
                ));
            }
            let kind = step.kind;
            if param(&form, "access_token").is_some() && matches!(kind, StepKind::VerifyCredentials | StepKind::PostStatus | StepKind::UserInfo | StepKind::Other) {
                out.push(finding(
                    Severity::Advice,
                    "The access token in the body",
                    "The access token is a form parameter. A form body is allowed only where the header cannot be used; the Authorization header is the way every resource server accepts.",
                    "RFC 6750 §2.2",
                    "https://www.rfc-editor.org/rfc/rfc6750#section-2.2",
                ));
            }
            match kind {
                StepKind::AuthorizeRequest => {
                    authorization_request(&q, &mut out);
                    asked = param(&q, "scope").map(|s| s.split(' ').map(str::to_string).collect());
                }
                StepKind::TokenRequest | StepKind::Refresh | StepKind::DevicePoll => {
                    token_request(x, &form, &mut out);
                    if let Some(scope) = param(&form, "scope") {
                        asked = Some(scope.split(' ').map(str::to_string).collect());
                    }
                    if let Some(refresh) = param(&form, "refresh_token") {
                        if spent.contains(&refresh) {
                            out.push(finding(
                                Severity::Problem,
                                "A spent refresh token again",
                                "This refresh token was already exchanged earlier in the run. The server rotates refresh tokens, so a second use looks like theft: it refuses, and revokes the whole family. Keep the new refresh token from each answer.",
                                "RFC 9700 §4.14.2",
                                "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
                            ));
                        }
                        spent.push(refresh);
                    }
                    if let Some(got) = granted_scopes(x) {
                        let missing: Vec<&String> =
                            asked.iter().flatten().filter(|s| !s.is_empty() && !got.contains(s)).collect();
                        if !missing.is_empty() {
                            out.push(finding(
                                Severity::Advice,
                                "Less scope than asked",
                                format!(
                                    "The server granted \"{}\", not {}. It may grant less than asked, and says so in scope: the client should read it and not call what it was not granted.",
                                    got.join(" "),
                                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                                ),
                                "RFC 6749 §3.3",
                                "https://www.rfc-editor.org/rfc/rfc6749#section-3.3",
                            ));
                        }
                        granted = Some(got);
                    }
                }
                StepKind::Revoke => {
                    if let Some(token) = param(&form, "token") {
                        revoked.push(token);
                    }
                }
                _ => {}
            }
            if let Some(token) = bearer(x).map(str::to_string).or_else(|| param(&q, "access_token")) {
                if revoked.contains(&token) {
                    out.push(finding(
                        Severity::Problem,
                        "A revoked token",
                        "The client sends a token it revoked earlier in this run. Once revoked, a token is forgotten; the client needs a new one.",
                        "RFC 7009 §2",
                        "https://www.rfc-editor.org/rfc/rfc7009#section-2",
                    ));
                }
            }
            let insufficient = x.response.status == 403
                && x.response.header("www-authenticate").is_some_and(|h| h.contains("insufficient_scope"));
            if insufficient {
                let had = granted.as_ref().map(|g| format!(" The token was granted \"{}\".", g.join(" "))).unwrap_or_default();
                out.push(finding(
                    Severity::Problem,
                    "A scope it was not granted",
                    format!("The client called an API its token's scope does not cover, and got insufficient_scope.{had} Check the granted scope before calling."),
                    "RFC 6750 §3.1",
                    "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
                ));
            } else if let Some(r) = refusal(x) {
                out.push(r);
            }
            out
        })
        .collect()
}
