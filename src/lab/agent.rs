//! Autoplay's user agent: real HTTP requests, made the way a browser would
//! make them (following the redirects, keeping the cookie, posting the
//! form), while alice plays the resource owner.

use super::app::http::register;
use super::tags::{BROWSER_AGENT, KEY_HEADER, RUN_HEADER};
use super::Lab;
use crate::run::{Grant, Mode, RunStatus};
use reqwest::header::{CONTENT_TYPE, LOCATION, USER_AGENT};

pub const DEMO_USER: (&str, &str) = ("alice", "wonderland");

pub(super) struct Browser<'a> {
    pub(super) s: &'a Lab,
    /// Its own client and cookie jar (reqwest's, which keeps cookies by
    /// domain and path as a browser does).
    pub(super) http: reqwest::Client,
    agent: &'static str,
    /// In a misuse scenario: the lab's tag for requests that try the misuse.
    pub(super) misuse: Option<&'static str>,
    /// The run, and its key, on every request, so that every call is filed
    /// under it, the token endpoint's and the API's too.
    pub(super) run: Option<(String, String)>,
}

impl<'a> Browser<'a> {
    /// The lab's browser, playing alice.
    pub(super) fn alice(s: &'a Lab) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .cookie_provider(std::sync::Arc::new(reqwest::cookie::Jar::default()))
            .build()
            .unwrap_or_else(|_| s.http.clone());
        Self { s, http, agent: BROWSER_AGENT, misuse: None, run: None }
    }

    /// Files every request under `run`.
    pub(super) fn of(mut self, run: &str) -> Self {
        self.run = Some((run.to_string(), self.s.runs.key(run).unwrap_or_default()));
        self
    }

    /// Mallory's own browser and scripts.
    pub(super) fn mallory(s: &'a Lab) -> Self {
        Self { agent: crate::run::scenario::ATTACKER_AGENT, ..Self::alice(s) }
    }

    /// The lab's public URLs, reached on its loopback address.
    fn local(&self, url: &str) -> String {
        match url.strip_prefix(&self.s.settings.public_url) {
            Some(rest) => format!("{}{rest}", self.s.settings.internal_url),
            None if url.starts_with('/') => format!("{}{url}", self.s.settings.internal_url),
            None => url.to_string(),
        }
    }

    pub(super) async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<(u16, String, String), String> {
        let mut req = req.header(USER_AGENT, self.agent);
        if let Some(tag) = self.misuse {
            req = req.header(crate::run::scenario::MISUSE_HEADER, tag);
        }
        if let Some((run, key)) = &self.run {
            req = req.header(RUN_HEADER, run).header(KEY_HEADER, key);
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = res.text().await.map_err(|e| e.to_string())?;
        Ok((status, location, body))
    }

    pub(super) async fn get(&mut self, url: &str) -> Result<(u16, String, String), String> {
        // A browser never sends the fragment.
        let url = self.local(url.split('#').next().unwrap_or(url));
        let req = self.http.get(url);
        self.send(req).await
    }

    pub(super) async fn post_form(
        &mut self,
        url: &str,
        fields: &[(&str, &str)],
    ) -> Result<(u16, String, String), String> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = self.http.post(self.local(url)).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        self.send(req).await
    }
}

/// The value of the hidden form field `name` on a page, read as a browser
/// reads the page (`scraper`).
fn hidden(html: &str, name: &str) -> Option<String> {
    let selector = scraper::Selector::parse(&format!("input[type=hidden][name=\"{name}\"]")).ok()?;
    let page = scraper::Html::parse_document(html);
    let value = page.select(&selector).next()?.value().attr("value")?;
    Some(value.to_string())
}

/// Where the link marked `data-testid` on a page goes.
fn link(html: &str, testid: &str) -> Option<String> {
    let selector = scraper::Selector::parse(&format!("a[data-testid=\"{testid}\"]")).ok()?;
    let page = scraper::Html::parse_document(html);
    let href = page.select(&selector).next()?.value().attr("href")?;
    Some(href.to_string())
}

/// Registers the run's app; for autoplay, then plays the whole grant.
pub async fn start(s: &Lab, run: &str, grant: Grant, mode: Mode) -> Result<(), String> {
    register(s, run, grant).await?;
    if mode == Mode::Autoplay {
        if let Err(e) = play(s, run, grant).await {
            s.runs.finish(run, RunStatus::Failed(e.clone()));
            return Err(e);
        }
    }
    Ok(())
}

async fn play(s: &Lab, run: &str, grant: Grant) -> Result<(), String> {
    let mut b = Browser::alice(s).of(run);
    match grant {
        Grant::AuthorizationCode | Grant::Implicit => {
            let back = b.sign_in(run, DEMO_USER, &["read", "write"]).await?;
            b.get(&back).await?;
            if grant == Grant::Implicit {
                browser_script(&b, run, &back).await?;
            }
        }
        Grant::OpenIdConnect => {
            let back = b.sign_in(run, DEMO_USER, &super::app::oidc::SCOPES).await?;
            b.get(&back).await?;
        }
        Grant::DeviceCode => {
            // The device shows its code; alice opens the verification page
            // with it on her phone and approves; the device's next poll
            // gets the token.
            let (_, _, screen) = b.get(&format!("/lab/runs/{run}/login")).await?;
            let complete = link(&screen, "verification-link").ok_or("no verification link on the device's screen")?;
            let (status, _, page) = b.get(&complete).await?;
            if status != 200 {
                return Err(format!("the verification page answered {status}"));
            }
            b.device_consent(&page, DEMO_USER, &["read", "write"]).await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while s.runs.with(run, |r| r.record.status == RunStatus::Waiting).unwrap_or(false) {
                if std::time::Instant::now() > deadline {
                    return Err("the device did not get its token in time".into());
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Grant::Password | Grant::MastodonBot => {
            b.get(&format!("/lab/runs/{run}/login")).await?;
            let (user, password) = DEMO_USER;
            b.post_form(&format!("/lab/runs/{run}/password"), &[("username", user), ("password", password)]).await?;
        }
        Grant::ClientCredentials => {
            b.get(&format!("/lab/runs/{run}/login")).await?;
            b.post_form(&format!("/lab/runs/{run}/service"), &[]).await?;
        }
        // The learner's own program plays it, not the lab.
        Grant::OwnApp => return Err("the learner's own program plays this run".into()),
        Grant::OwnProvider => return Err("the learner plays this run against their own provider".into()),
    }
    Ok(())
}

impl Browser<'_> {
    /// Opens the run's app, follows it to the authorization server and
    /// approves as `user`, keeping `scopes`; returns where the server sends
    /// the browser back to (not followed).
    pub(super) async fn sign_in(&mut self, run: &str, user: (&str, &str), scopes: &[&str]) -> Result<String, String> {
        let (status, location, _) = self.get(&format!("/lab/runs/{run}/login")).await?;
        if status != 302 {
            return Err(format!("the app answered {status} instead of redirecting"));
        }
        self.approve(&location, user, scopes).await
    }

    /// Opens an authorization request and approves it as `user`.
    pub(super) async fn approve(&mut self, url: &str, user: (&str, &str), scopes: &[&str]) -> Result<String, String> {
        let (status, _, page) = self.get(url).await?;
        if status != 200 {
            return Err(format!("the authorization server answered {status}: {page}"));
        }
        self.consent(&page, user, scopes).await
    }

    /// Signs in on the device verification page and approves.
    pub(super) async fn device_consent(
        &mut self,
        page: &str,
        user: (&str, &str),
        scopes: &[&str],
    ) -> Result<(), String> {
        let user_code = hidden(page, "user_code").ok_or("no user_code on the verification page")?;
        let csrf = hidden(page, "csrf_token").ok_or("no csrf_token on the verification page")?;
        let mut fields = vec![("user_code", user_code.as_str()), ("csrf_token", csrf.as_str())];
        fields.extend(scopes.iter().map(|s| ("scope", *s)));
        fields.extend([("username", user.0), ("password", user.1), ("decision", "approve")]);
        let (status, _, body) = self.post_form(crate::oauth::endpoints::device::VERIFICATION, &fields).await?;
        if status != 200 || !body.contains("device-approved") {
            return Err(format!("the verification page answered {status}"));
        }
        Ok(())
    }

    /// Signs in on a consent page and approves it.
    pub(super) async fn consent(&mut self, page: &str, user: (&str, &str), scopes: &[&str]) -> Result<String, String> {
        let request_id = hidden(page, "request_id").ok_or("no request_id on the consent page")?;
        let csrf = hidden(page, "csrf_token").ok_or("no csrf_token on the consent page")?;
        let mut fields = vec![("request_id", request_id.as_str()), ("csrf_token", csrf.as_str())];
        fields.extend(scopes.iter().map(|s| ("scope", *s)));
        fields.extend([("username", user.0), ("password", user.1), ("decision", "approve")]);
        let (status, back, body) = self.post_form("/oauth/authorize", &fields).await?;
        if status != 303 {
            return Err(format!("the authorization server answered {status}: {body}"));
        }
        Ok(back)
    }
}

/// What the single-page app's script does in a browser: check `state`,
/// read the token from the fragment and call the API with it.
async fn browser_script(b: &Browser<'_>, run: &str, location: &str) -> Result<(), String> {
    let fragment = location.split_once('#').map(|(_, f)| f).unwrap_or("");
    let value =
        |name: &str| form_urlencoded::parse(fragment.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let expected = b.s.runs.with(run, |r| r.state.clone()).flatten();
    if expected.is_none() || value("state") != expected {
        return Err("the state in the fragment is not the one the app sent: refused as a possible CSRF".into());
    }
    let token = value("access_token").ok_or("no access_token in the fragment")?;
    let base = &b.s.settings.internal_url;
    let auth = format!("Bearer {token}");
    let key = b.s.runs.key(run).unwrap_or_default();
    b.http
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .header("Authorization", &auth)
        .header(RUN_HEADER, run)
        .header(KEY_HEADER, &key)
        .header(USER_AGENT, BROWSER_AGENT)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    b.http
        .post(format!("{base}/api/v1/statuses"))
        .header("Authorization", &auth)
        .header(RUN_HEADER, run)
        .header(KEY_HEADER, &key)
        .header(USER_AGENT, BROWSER_AGENT)
        .json(&serde_json::json!({ "status": "Hello from a single-page app in OAuth2 Lab" }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
