//! HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), typed: one
//! entry per recorded exchange, for browser devtools. Local steps are not
//! HTTP and are left out.

use crate::run::{Exchange, RunRecord};
use serde::Serialize;
use std::time::{Duration, UNIX_EPOCH};

#[derive(Serialize)]
pub struct Har {
    pub log: Log,
}

#[derive(Serialize)]
pub struct Log {
    pub version: &'static str,
    pub creator: Creator,
    pub pages: Vec<()>,
    pub entries: Vec<Entry>,
    pub comment: String,
}

#[derive(Serialize)]
pub struct Creator {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub started_date_time: String,
    pub time: u32,
    pub request: Request,
    pub response: Response,
    pub cache: Cache,
    pub timings: Timings,
    pub comment: String,
}

/// A name and value: a header, a query parameter or a cookie.
#[derive(Serialize)]
pub struct Pair {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: String,
    pub url: String,
    pub http_version: String,
    pub cookies: Vec<Pair>,
    pub headers: Vec<Pair>,
    pub query_string: Vec<Pair>,
    /// -1: not known (HAR 1.2).
    pub headers_size: i64,
    pub body_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_data: Option<PostData>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostData {
    pub mime_type: String,
    pub text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub status: u16,
    pub status_text: String,
    pub http_version: String,
    pub cookies: Vec<Pair>,
    pub headers: Vec<Pair>,
    pub content: Content,
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    pub headers_size: i64,
    pub body_size: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    pub size: usize,
    pub mime_type: String,
    pub text: String,
}

/// Nothing was cached.
#[derive(Serialize)]
pub struct Cache {}

/// The lab records no timings; HAR requires the three.
#[derive(Serialize)]
pub struct Timings {
    pub send: u32,
    pub wait: u32,
    pub receive: u32,
}

fn iso(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

fn pairs(list: &[(String, String)]) -> Vec<Pair> {
    list.iter().map(|(k, v)| Pair { name: k.clone(), value: v.clone() }).collect()
}

fn absolute_url(x: &Exchange) -> String {
    let host = x.request.header("host").unwrap_or("localhost");
    format!("http://{host}{}", x.request.target)
}

fn cookies(header: Option<&str>) -> Vec<Pair> {
    let Some(header) = header else { return vec![] };
    cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .map(|c| Pair { name: c.name().to_string(), value: c.value().to_string() })
        .collect()
}

fn entry(x: &Exchange, comment: String) -> Entry {
    let (req, res) = (&x.request, &x.response);
    Entry {
        started_date_time: iso(x.started_ms),
        time: 0,
        request: Request {
            method: req.method.clone(),
            url: absolute_url(x),
            http_version: req.version.clone(),
            cookies: cookies(req.header("cookie")),
            headers: pairs(&req.headers),
            query_string: pairs(&req.query().map(crate::run::parse_form).unwrap_or_default()),
            headers_size: -1,
            body_size: req.body.len(),
            post_data: (!req.body.is_empty()).then(|| PostData {
                mime_type: req.header("content-type").unwrap_or("").to_string(),
                text: req.body.clone(),
            }),
        },
        response: Response {
            status: res.status,
            status_text: res.reason.clone(),
            http_version: res.version.clone(),
            cookies: vec![],
            headers: pairs(&res.headers),
            content: Content {
                size: res.body.len(),
                mime_type: res.header("content-type").unwrap_or("").to_string(),
                text: res.body.clone(),
            },
            redirect_url: res.header("location").unwrap_or("").to_string(),
            headers_size: -1,
            body_size: res.body.len(),
        },
        cache: Cache {},
        timings: Timings { send: 0, wait: 0, receive: 0 },
        comment,
    }
}

pub fn har(record: &RunRecord) -> Har {
    let findings = crate::run::findings::of_run(record);
    let entries = record
        .steps
        .iter()
        .zip(findings)
        .filter_map(|(step, found)| {
            let x = step.exchange.as_ref()?;
            let mut comment = format!("{} -> {}: {}", step.from.title(), step.to.title(), step.label);
            // What a learner's own program did against the RFCs.
            for f in found {
                comment.push_str(&format!("; {}: {} ({})", f.severity.title(), f.title, f.rfc));
            }
            Some(entry(x, comment))
        })
        .collect();
    Har {
        log: Log {
            version: "1.2",
            creator: Creator { name: "OAuth2 Lab", version: env!("CARGO_PKG_VERSION") },
            pages: vec![],
            entries,
            comment: format!("{} run {}", record.grant.title(), record.id),
        },
    }
}
