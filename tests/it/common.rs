//! Starts the app on 127.0.0.1:0 and speaks HTTP to it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use leptos::prelude::LeptosOptions;
use oauth2_lab::lab::archive::{Archive, Limits};
use oauth2_lab::web::{app_with_archive, config::Config};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{redirect::Policy, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub struct Lab {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_string()
    }
    /// The query or fragment parameters of a redirect's Location.
    pub fn location_params(&self) -> HashMap<String, String> {
        let loc = url::Url::parse(&self.header("location")).expect("Location is an absolute URL");
        let mut out: HashMap<String, String> = loc.query_pairs().into_owned().collect();
        if let Some(f) = loc.fragment() {
            out.extend(url::form_urlencoded::parse(f.as_bytes()).into_owned());
        }
        out
    }
}

pub async fn start() -> Lab {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Lab {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut config = Config::new(&base, &base);
    tweak(&mut config);
    let options = LeptosOptions::builder().output_name("oauth2-lab").site_addr(addr).build();
    let router = app_with_archive(config, options, database().await);
    use axum::ServiceExt;
    tokio::spawn(async move {
        let listener = oauth2_lab::lab::wire::Listener(listener);
        axum::serve(listener, router.into_make_service_with_connect_info::<oauth2_lab::lab::wire::Peer>())
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    Lab { base, http }
}

/// The database the lab under test keeps its state in: none (memory), or,
/// with `LAB_TEST_DATABASE`, a new SQLite file (`sqlite`) or a new
/// database on a PostgreSQL server (`postgres://…`, whose user may create
/// databases) for each lab started, so the whole suite runs on each
/// backend.
async fn database() -> Option<std::sync::Arc<Archive>> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let which = std::env::var("LAB_TEST_DATABASE").ok().filter(|v| !v.is_empty() && v != "memory")?;
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("lab_it_{}_{n}", std::process::id());
    let url = if which == "sqlite" {
        format!("sqlite:{}", std::env::temp_dir().join(format!("{name}.db")).display())
    } else {
        postgres_database(&which, &name).await
    };
    let limits = Limits { keep: std::time::Duration::from_secs(3600), max_runs: 10_000, max_bytes: 1 << 30 };
    Some(std::sync::Arc::new(Archive::open(&url, limits).await.expect("the test database opens")))
}

/// A new, empty database `name` on the server at `server`; its URL.
pub async fn postgres_database(server: &str, name: &str) -> String {
    use sqlx::{Connection, Executor};
    let mut admin = sqlx::PgConnection::connect(server).await.expect("the PostgreSQL server answers");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("a test database is created");
    let mut url = url::Url::parse(server).expect("a postgres:// URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Reply { status, headers, text }
}

pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

impl Lab {
    /// The same lab, reached from another loopback address (127.0.0.x), as
    /// a second client machine would.
    pub fn reached_from(&self, ip: [u8; 4]) -> Lab {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap();
        Lab { base: self.base.clone(), http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.http.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn get_auth(&self, path: &str, authorization: &str) -> Reply {
        reply(self.http.get(self.url(path)).header("Authorization", authorization).send().await.unwrap()).await
    }

    /// A form POST, with an optional Authorization header.
    pub async fn post_form(&self, path: &str, authorization: Option<&str>, pairs: &[(&str, &str)]) -> Reply {
        let mut req = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>, authorization: Option<&str>) -> Reply {
        let mut req = self.http.post(self.url(path)).header("Content-Type", content_type).body(body);
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn register(&self, metadata: Value) -> Reply {
        reply(self.http.post(self.url("/oauth/register")).json(&metadata).send().await.unwrap()).await
    }

    pub async fn token(&self, authorization: Option<&str>, pairs: &[(&str, &str)]) -> Reply {
        self.post_form("/oauth/token", authorization, pairs).await
    }

    /// The web-app demo client's credentials.
    pub fn web_app(&self) -> String {
        basic("web-app", "web-app-secret")
    }

    pub fn callback(&self) -> String {
        self.url("/lab/callback")
    }

    pub fn spa_callback(&self) -> String {
        self.url("/lab/spa/callback")
    }

    /// GET the authorization endpoint with these query parameters.
    pub async fn authorize(&self, pairs: &[(&str, &str)]) -> Reply {
        self.get(&format!("/oauth/authorize?{}", form(pairs))).await
    }

    /// Shows the consent page for `pairs`, then posts the decision as the
    /// browser would, cookie and CSRF token included.
    pub async fn consent(&self, pairs: &[(&str, &str)], decision: &[(&str, &str)]) -> Reply {
        let page = self.authorize(pairs).await;
        assert_eq!(page.status, StatusCode::OK, "consent page: {}", page.text);
        let cookie = page.header(SET_COOKIE.as_str());
        let cookie = cookie.split(';').next().unwrap().to_string();
        let mut fields =
            vec![("request_id", hidden(&page.text, "request_id")), ("csrf_token", hidden(&page.text, "csrf_token"))];
        for (k, v) in decision {
            fields.push((k, v.to_string()));
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_form_with_cookie("/oauth/authorize", &cookie, &fields).await
    }

    /// POSTs a page's form as the browser would, with the page's cookie.
    pub async fn post_form_with_cookie(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
        let req = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", cookie)
            .body(form(fields));
        reply(req.send().await.unwrap()).await
    }

    /// Calls a server function as the pages do: form-encoded arguments,
    /// JSON answer.
    pub async fn server_fn(&self, name: &str, args: &str, cookie: Option<&str>) -> Reply {
        let mut req = self
            .http
            .post(self.url(&format!("/lab/fn/{name}")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(args.to_string());
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        reply(req.send().await.unwrap()).await
    }

    /// alice approves `scope` for the web app: the redirect's parameters.
    pub async fn code_for(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let callback = self.callback();
        let challenge = s256(VERIFIER);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", callback.as_str()),
            ("state", "xyz"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        pairs.extend_from_slice(extra);
        let res = self.consent(&pairs, &approve_as_alice(&["read", "write"])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        res.location_params()
    }

    /// A code for the web app, redeemed: the token response.
    pub async fn web_app_tokens(&self) -> Value {
        let code = self.code_for(&[]).await["code"].clone();
        let callback = self.callback();
        let res = self
            .token(
                Some(&self.web_app()),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &callback),
                    ("code_verifier", VERIFIER),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.json()
    }

    /// A client-credentials token for the service client.
    pub async fn service_token(&self, scope: &str) -> String {
        let res = self
            .token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials"), ("scope", scope)])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.json()["access_token"].as_str().unwrap().to_string()
    }

    /// A password-grant token response for alice via the first-party app.
    pub async fn password_tokens(&self, scope: &str) -> Value {
        let res = self
            .token(
                None,
                &[
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", "wonderland"),
                    ("scope", scope),
                    ("client_id", "first-party"),
                    ("client_secret", "first-party-secret"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.json()
    }
}

pub fn approve_as_alice(scopes: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("decision", "approve"), ("username", "alice"), ("password", "wonderland")];
    for s in scopes {
        v.push(("scope", s));
    }
    v
}

/// The value of a hidden input in server-rendered HTML.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

pub fn location_is_callback(r: &Reply, callback: &str) -> bool {
    r.header(LOCATION.as_str()).starts_with(callback)
}
