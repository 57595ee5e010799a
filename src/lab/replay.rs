//! A recorded run as a bash script of curl commands that replays it against
//! a running lab. Replaying is not resending: codes, tokens, `state`, the
//! PKCE pair and the consent form's CSRF token are new each time, so every
//! value the run received is read from the live answer into a shell
//! variable, and every later request that sent the recorded value sends
//! the variable instead. The app's own pages (`/lab/runs/{id}/…`) are not
//! replayed: the script plays the app, and says so where they were.

use crate::run::{Exchange, RequestRecord, ResponseRecord, RunRecord, StepKind};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt::Write;

const PRELUDE: &str = r#"set -euo pipefail
JAR=$(mktemp)
trap 'rm -f "$JAR"' EXIT
# 32 random bytes, base64url: fresh state and PKCE verifier.
rand() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
# A string field of a compact JSON answer.
json() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' <<<"$2" | head -n 1; }
# A hidden field of the consent page.
hidden() { sed -n 's/.*name="'"$1"'" value="\([^"]*\)".*/\1/p' <<<"$2" | head -n 1; }
# A parameter of a redirect's query or fragment.
param() { printf '%s\n' "$2" | tr '?#&' '\n\n\n' | sed -n 's/^'"$1"'=//p' | head -n 1; }
step() { printf '\n== %s\n' "$1" >&2; }
"#;

/// Recorded values and the shell variables that stand for them.
#[derive(Default)]
struct Vars {
    known: Vec<(String, String)>,
    counts: Vec<(String, usize)>,
}

impl Vars {
    /// A variable for a value first seen in an answer; repeated kinds get
    /// numbered (ACCESS_TOKEN, ACCESS_TOKEN_2, …).
    fn learn(&mut self, value: &str, kind: &str) -> Option<String> {
        if value.len() < 8 || self.known.iter().any(|(v, _)| v == value) {
            return None;
        }
        let n = match self.counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.counts.push((kind.to_string(), 1));
                1
            }
        };
        let var = if n == 1 { kind.to_string() } else { format!("{kind}_{n}") };
        self.known.push((value.to_string(), var.clone()));
        self.known.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        Some(var)
    }

    /// `text` as one shell word that no byte of it can run, with known
    /// values as variables: double-quoted when the rest holds nothing that
    /// a double-quoted string would expand (`"a=1&code=${CODE}"`), else
    /// single-quoted pieces (`'$(x)&code='"${CODE}"`).
    fn quote(&self, text: &str) -> String {
        let mut pieces: Vec<(bool, String)> = vec![];
        let mut rest = text;
        'outer: while !rest.is_empty() {
            for (value, var) in &self.known {
                if let Some(tail) = rest.strip_prefix(value.as_str()) {
                    pieces.push((true, var.clone()));
                    rest = tail;
                    continue 'outer;
                }
            }
            let c = rest.chars().next().unwrap_or_default();
            match pieces.last_mut() {
                Some((false, literal)) => literal.push(c),
                _ => pieces.push((false, c.to_string())),
            }
            rest = &rest[c.len_utf8()..];
        }
        let plain = |t: &str| !t.chars().any(|c| matches!(c, '$' | '`' | '\\' | '"' | '!') || c.is_control());
        if pieces.iter().all(|(var, t)| *var || plain(t)) {
            let inside: String =
                pieces.iter().map(|(var, t)| if *var { format!("${{{t}}}") } else { t.clone() }).collect();
            return format!("\"{inside}\"");
        }
        let mut out = String::new();
        for (var, t) in pieces {
            if var {
                write!(out, "\"${{{t}}}\"").ok();
            } else {
                out.push_str(&single_quoted(&t));
            }
        }
        if out.is_empty() {
            out.push_str("''");
        }
        out
    }
}

/// `text` as one shell word, single-quoted: a `'` in it closes, escapes
/// and reopens the quotes; NUL, which no shell string holds, is dropped.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\0', "").replace('\'', r"'\''"))
}

/// `text` fit for a `#` comment: one line, nothing that ends it.
fn comment(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The methods the script sends; a recorded request with any other is
/// not replayed.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn json_field(body: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get(name)?.as_str().map(str::to_string)
}

fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

fn location_param(location: &str, name: &str) -> Option<String> {
    location.split(['?', '#', '&']).find_map(|p| p.strip_prefix(&format!("{name}=")).map(str::to_string))
}

/// curl's options for the recorded request's headers that matter:
/// client authentication, bearer token, content type.
fn header_options(x: &Exchange, vars: &Vars) -> String {
    let mut out = String::new();
    if let Some(auth) = x.request.header("authorization") {
        match auth.split_once(' ') {
            Some((scheme, value)) if scheme.eq_ignore_ascii_case("basic") => {
                let decoded = STANDARD.decode(value.trim()).ok().and_then(|d| String::from_utf8(d).ok());
                match decoded {
                    Some(pair) => write!(out, " -u {}", vars.quote(&pair)).ok(),
                    None => write!(out, " -H {}", vars.quote(&format!("Authorization: {auth}"))).ok(),
                };
            }
            _ => {
                write!(out, " -H {}", vars.quote(&format!("Authorization: {auth}"))).ok();
            }
        }
    }
    if let Some(ct) = x.request.header("content-type") {
        write!(out, " -H {}", vars.quote(&format!("Content-Type: {ct}"))).ok();
    }
    out
}

/// The script's opening: what it is, what it needs, and its helpers.
fn preamble(s: &mut String, record: &RunRecord, base: &str) {
    let slug = record.grant.slug();
    writeln!(s, "#!/usr/bin/env bash").ok();
    writeln!(s, "# OAuth2 Lab: a {} run, replayed with curl.", record.grant.title()).ok();
    writeln!(s, "# Recorded as run {} (GET /lab/runs/{}).", comment(&record.id), comment(&record.id)).ok();
    writeln!(s, "# Each code, token, state, PKCE value and CSRF token is new: it is read").ok();
    writeln!(s, "# from the live answer, as the run read it, and sent on from there.").ok();
    writeln!(s, "# Needs bash, curl, openssl, sed. Run: LAB={} bash oauth2-lab-{slug}.sh", comment(base)).ok();
    s.push_str(PRELUDE);
    writeln!(s, "LAB=\"${{LAB:-{}}}\"", base.replace(['"', '\\', '$', '`'], "")).ok();
}

/// Before the authorization request: a new state, and a new PKCE verifier
/// and its challenge, standing for the recorded ones.
fn fresh_state_and_pkce(s: &mut String, vars: &mut Vars, req: &RequestRecord, verifier: Option<&String>) {
    let query = req.query().map(crate::run::parse_form).unwrap_or_default();
    for (k, v) in &query {
        if k == "state" {
            if let Some(var) = vars.learn(v, "STATE") {
                writeln!(s, "{var}=$(rand)").ok();
            }
        }
        if k == "code_challenge" {
            if let Some(recorded) = verifier {
                vars.learn(recorded, "VERIFIER");
                writeln!(s, "VERIFIER=$(rand)").ok();
            }
            if let Some(var) = vars.learn(v, "CHALLENGE") {
                writeln!(s, "{var}=$(printf %s \"$VERIFIER\" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\\n')").ok();
            }
        }
    }
}

/// The curl command that sends the recorded request again, and what it
/// prints of the answer.
fn curl(s: &mut String, x: &Exchange, vars: &Vars) {
    let req = &x.request;
    let fail = if x.response.status < 400 { " --fail-with-body" } else { "" };
    let body = if req.body.is_empty() { String::new() } else { format!(" --data-raw {}", vars.quote(&req.body)) };
    let cookies = if req.path() == "/oauth/authorize" || req.path() == crate::oauth::endpoints::device::VERIFICATION {
        " -c \"$JAR\" -b \"$JAR\""
    } else {
        ""
    };
    let url = format!("\"$LAB\"{}", vars.quote(&req.target));
    let headers = header_options(x, vars);
    if (300..400).contains(&x.response.status) {
        writeln!(
            s,
            "loc=$(curl -gsS{fail}{cookies} -o /dev/null -w '%{{redirect_url}}' -X {}{headers}{body} {url})",
            req.method
        )
        .ok();
        writeln!(s, "echo \"{} → $loc\"", x.response.status).ok();
        return;
    }
    writeln!(s, "resp=$(curl -gsS{fail}{cookies} -X {}{headers}{body} {url})", req.method).ok();
    let json = x.response.headers.iter().any(|(k, v)| k == "content-type" && v.contains("json"));
    if json {
        writeln!(s, "echo \"$resp\"").ok();
    } else if x.response.body.is_empty() {
        writeln!(s, "echo \"{} (no body)\"", x.response.status).ok();
    } else {
        writeln!(s, "echo \"{} (a page of ${{#resp}} bytes)\"", x.response.status).ok();
    }
}

/// What the answer gave that later requests use, read from the live
/// answer into variables: from a redirect's Location, a JSON body or a
/// page's hidden fields.
fn learn_from_answer(s: &mut String, res: &ResponseRecord, vars: &mut Vars) {
    if (300..400).contains(&res.status) {
        let location = res.headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.as_str()).unwrap_or("");
        for (name, kind) in [("code", "CODE"), ("access_token", "ACCESS_TOKEN")] {
            if let Some(v) = location_param(location, name) {
                if let Some(var) = vars.learn(&v, kind) {
                    writeln!(s, "{var}=$(param {name} \"$loc\")").ok();
                }
            }
        }
        if let Some(state) = location_param(location, "state") {
            if let Some((_, var)) = vars.known.iter().find(|(v, _)| *v == state) {
                writeln!(s, "[ \"$(param state \"$loc\")\" = \"${var}\" ] || {{ echo 'state does not match: possible CSRF' >&2; exit 1; }}").ok();
            }
        }
    } else if res.body.trim_start().starts_with('{') {
        for (name, kind) in [
            ("client_id", "CLIENT_ID"),
            ("client_secret", "CLIENT_SECRET"),
            ("access_token", "ACCESS_TOKEN"),
            ("refresh_token", "REFRESH_TOKEN"),
            ("device_code", "DEVICE_CODE"),
            ("user_code", "USER_CODE"),
        ] {
            if let Some(v) = json_field(&res.body, name) {
                if let Some(var) = vars.learn(&v, kind) {
                    writeln!(s, "{var}=$(json {name} \"$resp\")").ok();
                }
            }
        }
    } else {
        for (name, kind) in [("request_id", "REQUEST_ID"), ("csrf_token", "CSRF_TOKEN")] {
            if let Some(v) = hidden_field(&res.body, name) {
                if let Some(var) = vars.learn(&v, kind) {
                    writeln!(s, "{var}=$(hidden {name} \"$resp\")").ok();
                }
            }
        }
    }
}

/// The bash script; `base` is the lab to replay against unless `$LAB` says
/// otherwise.
pub fn curl_script(record: &RunRecord, base: &str) -> String {
    let mut s = String::new();
    preamble(&mut s, record, base);
    let mut vars = Vars::default();
    // The PKCE verifier is sent only at the token endpoint; the challenge
    // first. Both are made here, before the authorization request.
    let verifier = record.steps.iter().filter_map(|st| st.exchange.as_ref()).find_map(|x| {
        crate::run::parse_form(&x.request.body).into_iter().find(|(k, _)| k == "code_verifier").map(|(_, v)| v)
    });
    // The device grant's polling interval (RFC 8628 §3.2), so a replayed
    // poll does not come too soon and get slow_down.
    let interval = record
        .steps
        .iter()
        .filter(|st| st.kind == StepKind::DeviceAuthorization)
        .filter_map(|st| st.exchange.as_ref())
        .filter_map(|x| serde_json::from_str::<serde_json::Value>(&x.response.body).ok())
        .find_map(|v| v["interval"].as_u64())
        .unwrap_or(5);
    let mut polled = false;
    for step in &record.steps {
        let Some(x) = &step.exchange else {
            writeln!(s, "\n# {} (not on the wire)", comment(&step.label)).ok();
            continue;
        };
        if x.request.path().starts_with("/lab/runs/") {
            writeln!(s, "\n# {}: the app's own page; here the script is the app.", comment(&step.label)).ok();
            continue;
        }
        if !METHODS.contains(&x.request.method.as_str()) {
            writeln!(s, "\n# {}: not replayed, not an HTTP method the script sends.", comment(&step.label)).ok();
            continue;
        }
        writeln!(s, "\nstep {}", single_quoted(&step.label)).ok();
        if step.kind == StepKind::DevicePoll {
            if polled {
                writeln!(s, "sleep {interval}").ok();
            }
            polled = true;
        }
        if step.kind == StepKind::AuthorizeRequest {
            fresh_state_and_pkce(&mut s, &mut vars, &x.request, verifier.as_ref());
        }
        curl(&mut s, x, &vars);
        learn_from_answer(&mut s, &x.response, &mut vars);
    }
    writeln!(s, "\nprintf '\\nReplayed %s steps against %s\\n' {} \"$LAB\" >&2", record.steps.len()).ok();
    s
}
