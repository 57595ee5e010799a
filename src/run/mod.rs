//! A run: one grant executed for real against the embedded servers, as a
//! list of steps, each one recorded HTTP exchange (or, for what happens in
//! a person's head or a browser's script, a clearly marked local step). The
//! trace is data; the diagram and the inspector are pure views of it. This
//! module is shared by the server (which records) and the browser (which
//! shows).

pub mod compare;
#[cfg(feature = "ssr")]
pub mod findings;
pub mod narration;
pub mod scenario;
pub mod view;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Grant {
    AuthorizationCode,
    Implicit,
    ClientCredentials,
    Password,
    /// RFC 8628, for devices short of a keyboard or a browser.
    DeviceCode,
    /// OpenID Connect Core 1.0 §3.1: the code grant with the `openid`
    /// scope, an ID token, and UserInfo.
    OpenIdConnect,
    /// The seeds' Mastodon bot: create an app, the password grant with
    /// the app's id and secret, the first toot.
    MastodonBot,
    /// The learner's own program, with a client the lab registered for
    /// it: whatever grant it plays, recorded as it happens. Not one of
    /// `GRANTS`: it has no page of its own under `/grants`.
    OwnApp,
    /// A learner's own authorization server, which the lab did not write:
    /// the lab's client plays against it, and records what it sent and
    /// what came back. Not one of `GRANTS` either.
    OwnProvider,
}

/// The four grants of RFC 6749 first, then the device grant, then OpenID
/// Connect's sign-in on top of the code grant, then the seeds' Mastodon bot.
pub const GRANTS: [Grant; 7] = [
    Grant::AuthorizationCode,
    Grant::ClientCredentials,
    Grant::Implicit,
    Grant::Password,
    Grant::DeviceCode,
    Grant::OpenIdConnect,
    Grant::MastodonBot,
];

impl Grant {
    pub fn slug(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization-code",
            Self::Implicit => "implicit",
            Self::ClientCredentials => "client-credentials",
            Self::Password => "password",
            Self::DeviceCode => "device-code",
            Self::OpenIdConnect => "openid-connect",
            Self::MastodonBot => "mastodon-bot",
            Self::OwnApp => "own-app",
            Self::OwnProvider => "own-provider",
        }
    }
    pub fn from_slug(s: &str) -> Option<Self> {
        GRANTS.into_iter().find(|g| g.slug() == s)
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "Authorization code with PKCE",
            Self::Implicit => "Implicit",
            Self::ClientCredentials => "Client credentials",
            Self::Password => "Resource owner password",
            Self::DeviceCode => "Device authorization",
            Self::OpenIdConnect => "OpenID Connect sign-in",
            Self::MastodonBot => "The Mastodon bot of the seeds",
            Self::OwnApp => "Your own app",
            Self::OwnProvider => "Your own provider",
        }
    }
    pub fn deprecated(self) -> bool {
        matches!(self, Self::Implicit | Self::Password | Self::MastodonBot)
    }
    /// Whether its record holds live credentials of the learner's (their
    /// program's client, or their provider's), so that only its learner
    /// reads it unmasked.
    pub fn private(self) -> bool {
        matches!(self, Self::OwnApp | Self::OwnProvider)
    }
    pub fn has_user(self) -> bool {
        !matches!(self, Self::ClientCredentials)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The lab's own user agent plays the user (alice), then the page plays
    /// the recording back.
    Autoplay,
    /// The learner is the user, in a real browser pane.
    Guided,
}

/// The five roles of RFC 6749 §1.1, plus the user agent of §1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    ResourceOwner,
    UserAgent,
    Client,
    AuthorizationServer,
    ResourceServer,
    /// In a misuse scenario: Mallory, with her own browser and scripts.
    Attacker,
}

pub const ROLES: [Role; 5] =
    [Role::ResourceOwner, Role::UserAgent, Role::Client, Role::AuthorizationServer, Role::ResourceServer];

impl Role {
    pub fn lane(self) -> usize {
        ROLES.iter().position(|r| *r == self).unwrap_or(ROLES.len())
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::ResourceOwner => "Resource owner",
            Self::UserAgent => "User agent",
            Self::Client => "Client",
            Self::AuthorizationServer => "Authorization server",
            Self::ResourceServer => "Resource server",
            Self::Attacker => "Attacker",
        }
    }
    /// The role's name in a run of `grant`: in the device grant, the
    /// client is the device.
    pub fn title_in(self, grant: Grant) -> &'static str {
        match (self, grant) {
            (Self::Client, Grant::DeviceCode) => "Device (client)",
            _ => self.title(),
        }
    }
    pub fn subtitle_in(self, grant: Grant) -> &'static str {
        match (self, grant) {
            (Self::Client, Grant::DeviceCode) => "the TV app",
            (Self::Client, Grant::OwnApp) => "your program",
            (Self::Client, Grant::OwnProvider) => "the lab's client",
            (Self::AuthorizationServer, Grant::OwnProvider) => "your provider",
            (Self::ResourceServer, Grant::OwnProvider) => "its UserInfo",
            _ => self.subtitle(),
        }
    }
    pub fn subtitle(self) -> &'static str {
        match self {
            Self::ResourceOwner => "the user",
            Self::UserAgent => "the browser",
            Self::Client => "the app",
            Self::AuthorizationServer => "/oauth/*",
            Self::ResourceServer => "/api/v1/*",
            Self::Attacker => "mallory",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    /// A page the browser loads: a redirect, a link or a form post. Its
    /// URL is seen by the user and their extensions, and kept in history.
    Front,
    /// A direct request from the client to a server, not through browser
    /// redirects: from its server, a device, or a page's script (`fetch`).
    Back,
    /// Not a network message: something a person or a script does.
    Local,
}

impl Channel {
    /// Its CSS class: the line style of its arrows.
    pub fn class(self) -> &'static str {
        match self {
            Self::Front => "front",
            Self::Back => "back",
            Self::Local => "local",
        }
    }
}

/// What a step is, for its label colour and its explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    Register,
    ClientStart,
    AuthorizeRequest,
    UserSignsIn,
    Consent,
    Callback,
    TypesPassword,
    PasswordForm,
    ServiceStart,
    TokenRequest,
    ReadsFragment,
    VerifyCredentials,
    PostStatus,
    Refresh,
    Revoke,
    Introspect,
    /// The device asks for a device code and a user code (RFC 8628 §3.1).
    DeviceAuthorization,
    /// The user reads the code off the device and opens the verification
    /// page on another screen.
    ReadsUserCode,
    /// The verification page (RFC 8628 §3.3).
    DeviceVerification,
    /// The user signs in and decides on it.
    DeviceConsent,
    /// The device polls the token endpoint (RFC 8628 §3.4).
    DevicePoll,
    /// The relying party reads the provider's metadata (OpenID Connect
    /// Discovery 1.0 §4).
    Discovery,
    /// It fetches the provider's signing keys from `jwks_uri`.
    Jwks,
    /// It checks the ID token (OpenID Connect Core 1.0 §3.1.3.7): a step
    /// off the wire, which carries the results (`Step::checks`).
    IdTokenCheck,
    /// It asks the UserInfo endpoint about the user (Core 1.0 §5.3).
    UserInfo,
    /// An ID token is posted to the app's sign-in endpoint, as a front
    /// end's script posts one to its back end.
    IdTokenSignIn,
    /// In a misuse scenario: something the attacker does off the wire.
    Attack,
    /// The lab clock moves on (a scenario with a fast clock).
    LabClock,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query as on the request line.
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub reason: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RequestRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
    pub fn start_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
}

impl ResponseRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
    pub fn start_line(&self) -> String {
        format!("{} {} {}", self.version, self.status, self.reason)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RequestRecord,
    pub response: ResponseRecord,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub started_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    pub from: Role,
    pub to: Role,
    pub channel: Channel,
    /// Like `POST /oauth/token`, or words for a local step.
    pub label: String,
    /// The recorded bytes; `None` for a local step.
    pub exchange: Option<Exchange>,
    /// In an `IdTokenCheck` step: each check the app made of the ID token,
    /// from the real values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<IdTokenCheck>,
}

impl Step {
    /// A step off the wire: something a party does that sends nothing.
    pub fn local(kind: StepKind, from: Role, to: Role, label: impl Into<String>) -> Self {
        Self { kind, from, to, channel: Channel::Local, label: label.into(), exchange: None, checks: vec![] }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// Waiting for the learner, in a guided run.
    Waiting,
    Done,
    /// The grant ended in an error the learner should see (a denial, say).
    Failed(String),
}

/// A value worth following across steps: a code, a token, a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub value: String,
    /// A secret the "mask secrets" switch hides.
    pub secret: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub grant: Grant,
    pub mode: Mode,
    pub status: RunStatus,
    pub steps: Vec<Step>,
    /// Where a guided run's browser pane starts.
    pub start_url: String,
    /// After using the token, refresh it (where there is a refresh token)
    /// and revoke it.
    pub lifecycle: bool,
    pub artifacts: Vec<Artifact>,
    /// A misuse scenario, when the run is one.
    #[serde(default)]
    pub scenario: Option<scenario::Scenario>,
    /// The scenario's lab-only vulnerable switch was on.
    #[serde(default)]
    pub vulnerable: bool,
    /// Access tokens are JWTs (RFC 9068) in this run, not opaque strings.
    #[serde(default)]
    pub jwt: bool,
}

/// One check a relying party makes of an ID token (OpenID Connect Core 1.0
/// §3.1.3.7), with what it expected and what the token holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenCheck {
    /// Like `signature` or `nonce`.
    pub name: String,
    pub expected: String,
    pub found: String,
    pub pass: bool,
    /// What the check guards against, and where the spec asks for it.
    pub why: String,
}

impl RunRecord {
    /// A run of `grant` that has recorded nothing yet: no scenario, opaque
    /// tokens, with the token's lifecycle.
    pub fn new(id: impl Into<String>, grant: Grant, mode: Mode) -> Self {
        Self {
            id: id.into(),
            grant,
            mode,
            status: RunStatus::Waiting,
            steps: vec![],
            start_url: String::new(),
            lifecycle: true,
            artifacts: vec![],
            scenario: None,
            vulnerable: false,
            jwt: false,
        }
    }

    /// The lanes the diagram draws: the five roles, and the attacker's when
    /// she takes part.
    pub fn roles(&self) -> Vec<Role> {
        let mut roles = ROLES.to_vec();
        if self.steps.iter().any(|s| s.from == Role::Attacker || s.to == Role::Attacker) {
            roles.push(Role::Attacker);
        }
        roles
    }
}

impl RunRecord {
    /// The values that appear in the record, found in its bytes: ids,
    /// secrets, codes, tokens, the PKCE verifier and state.
    pub fn find_artifacts(&mut self) {
        let mut found: Vec<Artifact> = vec![];
        let mut add = |name: &str, value: &str, secret: bool| {
            if !value.is_empty() && !found.iter().any(|a| a.value == value) {
                found.push(Artifact { name: name.to_string(), value: value.to_string(), secret });
            }
        };
        for step in &self.steps {
            let Some(x) = &step.exchange else { continue };
            let mut pairs: Vec<(String, String)> = vec![];
            if let Some(q) = x.request.query() {
                pairs.extend(parse_form(q));
            }
            if x.request.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
                pairs.extend(parse_form(&x.request.body));
            }
            if let Some(loc) = x.response.header("location") {
                if let Some((_, rest)) = loc.split_once('?') {
                    pairs.extend(parse_form(rest.split('#').next().unwrap_or("")));
                }
                if let Some((_, frag)) = loc.split_once('#') {
                    pairs.extend(parse_form(frag));
                }
            }
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&x.response.body) {
                for (k, v) in map {
                    if let Some(s) = v.as_str() {
                        pairs.push((k, s.to_string()));
                    }
                }
            }
            for (k, v) in pairs {
                match k.as_str() {
                    "client_secret" | "password" | "code_verifier" | "access_token" | "refresh_token" | "code"
                    | "device_code" | "id_token" => add(&k, &v, true),
                    "client_id" | "state" | "code_challenge" | "user_code" | "nonce" | "sub" => add(&k, &v, false),
                    _ => {}
                }
            }
            if let Some(token) = x.request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
                add("access_token", token, true);
            }
        }
        self.artifacts = found;
    }
}

/// `application/x-www-form-urlencoded` pairs, percent-decoded.
pub fn parse_form(input: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(input.as_bytes()).into_owned().collect()
}

/// A JWT's header and claims, decoded (not verified): for showing a JWT
/// access token (RFC 9068) in the inspector.
pub fn decode_jwt(token: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut parts = token.split('.');
    let (h, p, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = |s: &str| serde_json::from_slice::<serde_json::Value>(&URL_SAFE_NO_PAD.decode(s).ok()?).ok();
    Some((json(h)?, json(p)?))
}

impl Exchange {
    /// The first JWT this exchange carries: an access token in the answer,
    /// a bearer token, or a token sent to revoke or introspect.
    pub fn jwt(&self) -> Option<String> {
        let looks = |t: &str| t.matches('.').count() == 2 && t.starts_with("eyJ");
        let from_body = serde_json::from_str::<serde_json::Value>(&self.response.body)
            .ok()
            .and_then(|v| v.get("access_token").and_then(|t| t.as_str()).map(str::to_string));
        let bearer = self.request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).map(str::to_string);
        let param = parse_form(&self.request.body).into_iter().find(|(k, _)| k == "token").map(|(_, v)| v);
        [from_body, bearer, param].into_iter().flatten().find(|t| looks(t))
    }
}
