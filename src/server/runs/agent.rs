//! Autoplay's user agent: real HTTP requests, made the way a browser would
//! make them (following the redirects, keeping the cookie, posting the
//! form), while alice plays the resource owner.

use super::capture::RUN_HEADER;
use super::client::register;
use crate::run::{Grant, Mode, RunStatus};
use crate::server::Servers;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE, USER_AGENT};

pub const BROWSER_AGENT: &str = "oauth2-lab-user-agent/0.1 (the lab's browser, playing alice)";
pub const DEMO_USER: (&str, &str) = ("alice", "wonderland");

struct Browser<'a> {
    s: &'a Servers,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl Browser<'_> {
    /// The lab's public URLs, reached on its loopback address.
    fn local(&self, url: &str) -> String {
        match url.strip_prefix(&self.s.config.public_url) {
            Some(rest) => format!("{}{rest}", self.s.config.internal_url),
            None if url.starts_with('/') => format!("{}{url}", self.s.config.internal_url),
            None => url.to_string(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<(u16, String, String), String> {
        let mut req = req.header(USER_AGENT, BROWSER_AGENT);
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c);
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        if let Some(c) = res.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()) {
            self.cookie = c.split(';').next().map(str::to_string);
        }
        let status = res.status().as_u16();
        let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = res.text().await.map_err(|e| e.to_string())?;
        Ok((status, location, body))
    }

    async fn get(&mut self, url: &str) -> Result<(u16, String, String), String> {
        // A browser never sends the fragment.
        let url = self.local(url.split('#').next().unwrap_or(url));
        let req = self.http.get(url);
        self.send(req).await
    }

    async fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Result<(u16, String, String), String> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = self.http.post(self.local(url)).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        self.send(req).await
    }
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Registers the run's app; for autoplay, then plays the whole grant.
pub async fn start(s: &Servers, run: &str, grant: Grant, mode: Mode) -> Result<(), String> {
    register(s, run, grant).await?;
    if mode == Mode::Autoplay {
        if let Err(e) = play(s, run, grant).await {
            s.runs.finish(run, RunStatus::Failed(e.clone()));
            return Err(e);
        }
    }
    Ok(())
}

async fn play(s: &Servers, run: &str, grant: Grant) -> Result<(), String> {
    let mut b = Browser { s, http: s.lab_http.clone(), cookie: None };
    let login = format!("/lab/runs/{run}/login");
    let (status, location, _) = b.get(&login).await?;
    match grant {
        Grant::AuthorizationCode | Grant::Implicit => {
            if status != 302 {
                return Err(format!("the app answered {status} instead of redirecting"));
            }
            let (status, _, page) = b.get(&location).await?;
            if status != 200 {
                return Err(format!("the authorization server answered {status}: {page}"));
            }
            let request_id = hidden(&page, "request_id").ok_or("no request_id on the consent page")?;
            let csrf = hidden(&page, "csrf_token").ok_or("no csrf_token on the consent page")?;
            let (user, password) = DEMO_USER;
            let (status, back, body) = b
                .post_form(
                    "/oauth/authorize",
                    &[
                        ("request_id", &request_id),
                        ("csrf_token", &csrf),
                        ("scope", "read"),
                        ("scope", "write"),
                        ("username", user),
                        ("password", password),
                        ("decision", "approve"),
                    ],
                )
                .await?;
            if status != 303 {
                return Err(format!("the authorization server answered {status}: {body}"));
            }
            b.get(&back).await?;
            if grant == Grant::Implicit {
                browser_script(&b, run, &back).await?;
            }
        }
        Grant::Password => {
            let (user, password) = DEMO_USER;
            b.post_form(&format!("/lab/runs/{run}/password"), &[("username", user), ("password", password)]).await?;
        }
        Grant::ClientCredentials => {
            b.post_form(&format!("/lab/runs/{run}/service"), &[]).await?;
        }
    }
    Ok(())
}

/// What the single-page app's script does in a browser: read the token from
/// the fragment and call the API with it.
async fn browser_script(b: &Browser<'_>, run: &str, location: &str) -> Result<(), String> {
    let fragment = location.split_once('#').map(|(_, f)| f).unwrap_or("");
    let token = form_urlencoded::parse(fragment.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .ok_or("no access_token in the fragment")?;
    let base = &b.s.config.internal_url;
    let auth = format!("Bearer {token}");
    b.http
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .header("Authorization", &auth)
        .header(RUN_HEADER, run)
        .header(USER_AGENT, BROWSER_AGENT)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    b.http
        .post(format!("{base}/api/v1/statuses"))
        .header("Authorization", &auth)
        .header(RUN_HEADER, run)
        .header(USER_AGENT, BROWSER_AGENT)
        .json(&serde_json::json!({ "status": "Hello from a single-page app in OAuth2 Lab" }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
