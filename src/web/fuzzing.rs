//! The fuzz targets' one entry point, shared by cargo-fuzz (`fuzz/`) and by
//! the test suite, which replays the committed corpus: the input becomes a
//! real HTTP request through the whole router, and the answer must never
//! be a 5xx (nor a panic, which the fuzzer catches).

use super::{app, config::Config};
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode, Uri};
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

/// What the input stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `Authorization` header value, a newline, then the token request's
    /// form body.
    Token,
    /// The value after `Basic ` in a client_credentials token request.
    Basic,
    /// The authorization request's query string.
    Authorize,
    /// A registration request's JSON body.
    Register,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Token, Target::Basic, Target::Authorize, Target::Register];

    /// The folder of its corpus under `fuzz/corpus/`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Token => "token_request",
            Target::Basic => "basic_auth",
            Target::Authorize => "authorize_request",
            Target::Register => "registration_json",
        }
    }

    /// The request an input stands for, or `None` when no HTTP client could
    /// send it (a header value with a newline, say).
    pub fn request(self, data: &[u8]) -> Option<Request<Body>> {
        let form = "application/x-www-form-urlencoded";
        let (method, uri, auth, content_type, body): (_, Uri, Option<Vec<u8>>, _, Vec<u8>) = match self {
            Target::Token => {
                let (auth, body) = match data.iter().position(|b| *b == b'\n') {
                    Some(i) => (Some(data[..i].to_vec()), data[i + 1..].to_vec()),
                    None => (None, data.to_vec()),
                };
                (Method::POST, Uri::from_static("/oauth/token"), auth, form, body)
            }
            Target::Basic => {
                let auth = [b"Basic ".as_slice(), data].concat();
                (
                    Method::POST,
                    Uri::from_static("/oauth/token"),
                    Some(auth),
                    form,
                    b"grant_type=client_credentials".to_vec(),
                )
            }
            Target::Authorize => {
                let raw = format!("/oauth/authorize?{}", String::from_utf8_lossy(data));
                let uri = raw.parse::<Uri>().ok().or_else(|| {
                    let encoded: String = form_urlencoded::byte_serialize(data).collect();
                    format!("/oauth/authorize?{encoded}").parse().ok()
                })?;
                (Method::GET, uri, None, form, vec![])
            }
            Target::Register => {
                (Method::POST, Uri::from_static("/oauth/register"), None, "application/json", data.to_vec())
            }
        };
        let mut req = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, content_type);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, HeaderValue::from_bytes(&a).ok()?);
        }
        req.body(Body::from(body)).ok()
    }
}

/// The lab's router on a one-thread runtime, with rate limits and the
/// memory ceiling off so that every input reaches the parsers.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    router:
        tower::util::BoxCloneSyncService<axum::extract::Request, axum::response::Response, std::convert::Infallible>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        let router = rt.block_on(async {
            let mut config = Config::new("http://127.0.0.1:9", "http://127.0.0.1:9");
            config.rate_per_minute = 0;
            config.memory_ceiling = None;
            tower::util::BoxCloneSyncService::new(app(
                config,
                LeptosOptions::builder().output_name("oauth2-lab").build(),
            ))
        });
        Self { rt, router }
    }

    /// The status the router answers `data` with, as `target`.
    pub fn run(&self, target: Target, data: &[u8]) -> Option<StatusCode> {
        let req = target.request(data)?;
        let res = self.rt.block_on(self.router.clone().oneshot(req));
        Some(match res {
            Ok(r) => r.status(),
            Err(never) => match never {},
        })
    }
}
