//! A run's record exported: HAR 1.2 for browser devtools (`har`), and
//! Markdown with a Mermaid sequence diagram and the raw messages. Both are
//! made from the recorded bytes only.

pub mod har;

pub use har::har;

use crate::run::{Channel, Role, RunRecord, RunStatus};

fn alias(role: Role) -> &'static str {
    match role {
        Role::ResourceOwner => "RO",
        Role::UserAgent => "UA",
        Role::Client => "C",
        Role::AuthorizationServer => "AS",
        Role::ResourceServer => "RS",
        Role::Attacker => "ATK",
    }
}

/// Mermaid text may not hold `;` or `#` (they end a statement or start an
/// entity), nor a line break; the lab's labels rarely do, but recorded
/// paths and reasons might. `<` and `>` could open HTML in the diagram.
fn mermaid_text(s: &str) -> String {
    s.chars().map(|c| if matches!(c, ';' | '#' | '<' | '>') || c.is_control() { ' ' } else { c }).collect()
}

/// Recorded text as Markdown text that is only text: on one line, with
/// every character that could start a heading, link, emphasis, code or
/// HTML escaped (CommonMark's backslash escapes; `<`, `>` and `&` as
/// entities).
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            // What can open emphasis, code, a link or an autolink, a
            // heading, a list, a table or a strike-through.
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|' | '~' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A message as it crossed: start line, headers, blank line, body.
fn raw(start: String, headers: &[(String, String)], body: &str) -> String {
    let mut s = start;
    for (k, v) in headers {
        s.push_str(&format!("\n{k}: {v}"));
    }
    if !body.is_empty() {
        s.push_str("\n\n");
        s.push_str(body);
    }
    s
}

/// A fence longer than any run of backticks in the text.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

pub fn markdown(record: &RunRecord) -> String {
    let status = match &record.status {
        RunStatus::Waiting => "waiting for the learner".to_string(),
        RunStatus::Done => "complete".to_string(),
        RunStatus::Failed(why) => format!("ended: {}", md_text(why)),
    };
    let mut md = format!(
        "# OAuth2 Lab run: {}\n\nRun `{}`, {status}. Every message below was recorded as it crossed the wire.\n\n```mermaid\nsequenceDiagram\n",
        record.grant.title(),
        record.id
    );
    for role in record.roles() {
        md.push_str(&format!("    participant {} as {}\n", alias(role), role.title()));
    }
    for (i, step) in record.steps.iter().enumerate() {
        let (from, to) = (alias(step.from), alias(step.to));
        let label = mermaid_text(&step.label);
        match (&step.exchange, step.channel) {
            (None, _) => md.push_str(&format!("    {from}-){to}: {}. {label}\n", i + 1)),
            (Some(x), channel) => {
                let arrow = if channel == Channel::Front { "-)" } else { "->>" };
                md.push_str(&format!("    {from}{arrow}{to}: {}. {label}\n", i + 1));
                md.push_str(&format!(
                    "    {to}-->>{from}: {} {}\n",
                    x.response.status,
                    mermaid_text(&x.response.reason)
                ));
            }
        }
    }
    let findings = crate::run::findings::of_run(record);
    md.push_str("```\n\nOpen arrows are front-channel messages (pages the browser loads) or local steps; filled arrows are back-channel messages (direct requests from the client, not through browser redirects).\n");
    for (i, step) in record.steps.iter().enumerate() {
        md.push_str(&format!(
            "\n## Step {}: {}\n\n{} to {}, {}.\n",
            i + 1,
            md_text(&step.label),
            step.from.title(),
            step.to.title(),
            match step.channel {
                Channel::Front => "front channel",
                Channel::Back => "back channel",
                Channel::Local => "not on the wire",
            }
        ));
        if let Some(found) = findings.get(i).filter(|f| !f.is_empty()) {
            md.push_str("\nWhat the client did, against the RFCs:\n\n");
            for f in found {
                md.push_str(&format!(
                    "- **{}: {}.** {} ([{}]({}))\n",
                    f.severity.title(),
                    md_text(&f.title),
                    md_text(&f.text),
                    f.rfc,
                    f.url
                ));
            }
        }
        if let Some(x) = &step.exchange {
            let request = raw(x.request.start_line(), &x.request.headers, &x.request.body);
            let response = raw(x.response.start_line(), &x.response.headers, &x.response.body);
            for (title, text) in [("Request", request), ("Response", response)] {
                let f = fence(&text);
                md.push_str(&format!("\n{title}:\n\n{f}http\n{text}\n{f}\n"));
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Exchange, Grant, Mode, RequestRecord, ResponseRecord, Step, StepKind};

    fn record() -> RunRecord {
        let x = Exchange {
            request: RequestRecord {
                method: "POST".into(),
                target: "/oauth/token?x=1".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("host".into(), "127.0.0.1:3000".into()), ("cookie".into(), "a=b".into())],
                body: "grant_type=client_credentials".into(),
            },
            response: ResponseRecord {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: "{\"access_token\":\"at_x\"}\n```".into(),
            },
            started_ms: 1_795_000_000_000,
        };
        RunRecord {
            status: RunStatus::Done,
            steps: vec![Step {
                kind: StepKind::TokenRequest,
                from: Role::Client,
                to: Role::AuthorizationServer,
                channel: Channel::Back,
                label: "POST /oauth/token".into(),
                exchange: Some(x),
                checks: vec![],
            }],
            ..RunRecord::new("run_1", Grant::ClientCredentials, Mode::Autoplay)
        }
    }

    #[test]
    fn har_has_the_fields_devtools_need() {
        let h = serde_json::to_value(har(&record())).unwrap();
        assert_eq!(h["log"]["version"], "1.2");
        let e = &h["log"]["entries"][0];
        assert_eq!(e["request"]["url"], "http://127.0.0.1:3000/oauth/token?x=1");
        assert_eq!(e["request"]["postData"]["text"], "grant_type=client_credentials");
        assert_eq!(e["request"]["queryString"][0]["name"], "x");
        assert_eq!(e["request"]["cookies"][0]["value"], "b");
        assert_eq!(e["response"]["content"]["mimeType"], "application/json");
        assert!(e["startedDateTime"].as_str().unwrap().starts_with("2026-11-1"));
    }

    #[test]
    fn markdown_has_a_mermaid_diagram_and_safe_fences() {
        let md = markdown(&record());
        assert!(md.contains("```mermaid\nsequenceDiagram\n"));
        assert!(md.contains("    C->>AS: 1. POST /oauth/token\n"));
        assert!(md.contains("    AS-->>C: 200 OK\n"));
        // The body holds ``` so its fence is longer.
        assert!(md.contains("````http\nHTTP/1.1 200 OK"));
        assert!(!md.contains("What the client did"), "the lab's own app has no findings");
    }

    #[test]
    fn a_learners_own_programs_findings_are_in_both_exports() {
        let mut own = record();
        own.grant = Grant::OwnApp;
        if let Some(x) = own.steps[0].exchange.as_mut() {
            x.request.headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
            x.request.body = "grant_type=client_credentials&client_id=a&client_secret=b".into();
        }
        let md = markdown(&own);
        assert!(md.contains("What the client did, against the RFCs:\n\n- **Advice: The secret in the body.**"), "{md}");
        let h = serde_json::to_value(har(&own)).unwrap();
        let comment = h["log"]["entries"][0]["comment"].as_str().unwrap();
        assert!(comment.contains("Advice: The secret in the body (RFC 6749 §2.3.1)"), "{comment}");
    }
}
