//! The grants of RFC 6749, one module each, all with the same shape: an
//! authorization-endpoint half (`AuthorizeGrant`) for the grants that send
//! the user to the authorization server, and a token-endpoint half
//! (`TokenGrant`) for the grants that are redeemed there. The endpoints
//! only parse, dispatch and write.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod implicit;
pub mod password;
pub mod refresh_token;

use super::error::{OAuthError, OAuthResult};
use super::protocol::{GrantType, ResponseType, TokenType};
use super::store::{Client, Family, TokenKind, TokenRecord, User};
use super::util::{random_token, scope_set, scope_string, Params};
use super::AccessTokenFormat;
use super::AuthServer;
use crate::demo::{OIDC_SCOPES, SCOPES};
use serde::Serialize;
use std::time::Instant;

/// A validated authorization request (RFC 6749 §4.1.1, §4.2.1).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct AuthorizationRequest {
    pub response_type: ResponseType,
    pub client_id: String,
    /// The redirect URI the response goes to.
    pub redirect_uri: String,
    /// Whether the request named it (then the token request must too,
    /// §4.1.3).
    pub redirect_uri_sent: bool,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// OpenID Connect (Core 1.0 §3.1.2.1): the nonce to put in the ID
    /// token, and the sign-in hint.
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub login_hint: Option<String>,
}

/// Where an authorization response's parameters go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Query,
    /// The implicit grant's fragment, which the browser keeps to itself
    /// (§4.2.2).
    Fragment,
}

/// The authorization-endpoint half of a grant.
#[async_trait::async_trait]
pub trait AuthorizeGrant: Sync {
    fn response_type(&self) -> ResponseType;
    /// The grant type a client must be registered for to use it.
    fn grant_type(&self) -> GrantType;
    fn delivery(&self) -> Delivery;
    /// Checks what is particular to this grant, once client, redirect URI
    /// and scope are known to be good.
    fn check(&self, client: &Client, params: &Params) -> OAuthResult<Option<String>>;
    /// The user approved `scopes`: the parameters of the response.
    async fn approve(
        &self,
        servers: &AuthServer,
        req: &AuthorizationRequest,
        user: &User,
        scopes: &[String],
    ) -> OAuthResult<Vec<(&'static str, String)>>;
}

/// The token-endpoint half of a grant.
#[async_trait::async_trait]
pub trait TokenGrant: Sync {
    fn grant_type(&self) -> GrantType;
    /// Redeems the grant for `client`, whose request comes from `who`.
    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse>;
}

/// A grant this server offers: its type, and its authorization-endpoint
/// half, its token-endpoint half, or both.
pub struct Registered {
    pub grant_type: GrantType,
    pub authorize: Option<&'static dyn AuthorizeGrant>,
    pub token: Option<&'static dyn TokenGrant>,
}

/// Every grant of the server, one line each. Dispatch, metadata and
/// registration read their lists from here, so a new grant is a file of
/// its own and a line here.
pub static GRANTS: [Registered; 6] = [
    Registered {
        grant_type: GrantType::AuthorizationCode,
        authorize: Some(&authorization_code::AuthorizationCode),
        token: Some(&authorization_code::AuthorizationCode),
    },
    Registered { grant_type: GrantType::Implicit, authorize: Some(&implicit::Implicit), token: None },
    Registered { grant_type: GrantType::Password, authorize: None, token: Some(&password::Password) },
    Registered {
        grant_type: GrantType::ClientCredentials,
        authorize: None,
        token: Some(&client_credentials::ClientCredentials),
    },
    Registered { grant_type: GrantType::RefreshToken, authorize: None, token: Some(&refresh_token::RefreshToken) },
    Registered { grant_type: GrantType::DeviceCode, authorize: None, token: Some(&device_code::DeviceCode) },
];

/// The grant types a client may register for.
pub fn grant_types() -> impl Iterator<Item = GrantType> {
    GRANTS.iter().map(|g| g.grant_type)
}

/// The grants redeemed at the token endpoint.
pub fn token_grants() -> impl Iterator<Item = &'static dyn TokenGrant> {
    GRANTS.iter().filter_map(|g| g.token)
}

/// The grants that go through the authorization endpoint.
pub fn authorize_grants() -> impl Iterator<Item = &'static dyn AuthorizeGrant> {
    GRANTS.iter().filter_map(|g| g.authorize)
}

/// The response types of those grants.
pub fn response_types() -> impl Iterator<Item = ResponseType> {
    authorize_grants().map(|g| g.response_type())
}

/// The authorization-endpoint half for `response_type`.
pub fn for_response_type(response_type: ResponseType) -> Option<&'static dyn AuthorizeGrant> {
    authorize_grants().find(|g| g.response_type() == response_type)
}

/// Names values as a learner reads them: `a, b, c`.
pub fn names<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    values.into_iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}

/// The successful token response (RFC 6749 §5.1). `scope` is always sent
/// so a learner sees what was granted.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: TokenType,
    pub expires_in: u64,
    pub scope: String,
    /// When the token was issued, in seconds since the epoch: Mastodon's
    /// Token entity has it, and RFC 6749 §5.1 lets a server add fields.
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// OpenID Connect Core 1.0 §3.1.3.3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Resolves the requested scope against the client's registration
/// (RFC 6749 §3.3): unknown or unregistered scopes are `invalid_scope`; no
/// scope means the client's registered scope.
pub fn resolve_scope(client: &Client, requested: Option<&str>) -> OAuthResult<Vec<String>> {
    // No scope asked: the client's API scopes. OpenID Connect is asked
    // for by name (`openid`), never by default.
    let default = || client.scopes.iter().filter(|s| !OIDC_SCOPES.contains(&s.as_str())).cloned().collect();
    let Some(requested) = requested else {
        return Ok(default());
    };
    let scopes = scope_set(requested);
    if let Some(unknown) = scopes.iter().find(|s| !crate::oauth::scope::is_known(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "The scope {unknown} does not exist on this server; it knows {}, and Mastodon's follow, push and read:... and write:... scopes (RFC 6749 section 3.3).",
            SCOPES.join(" and ")
        )));
    }
    // A client registered for `read` may ask for `read:statuses`.
    if let Some(extra) = scopes.iter().find(|s| !crate::oauth::scope::covers(&client.scopes, s)) {
        return Err(OAuthError::invalid_scope(format!(
            "The client {} is registered for the scope {} and may not ask for {extra}.",
            client.client_id,
            scope_string(&client.scopes)
        )));
    }
    if scopes.is_empty() {
        return Ok(default());
    }
    Ok(scopes)
}

/// Requires the client to be registered for a grant type (§5.2
/// `unauthorized_client`).
pub fn require_grant(client: &Client, grant_type: GrantType) -> OAuthResult<()> {
    if client.allows_grant(grant_type) {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!(
            "The client {} is not registered for the {grant_type} grant; it may use: {}.",
            client.client_id,
            names(client.grant_types.iter())
        )))
    }
}

/// A new token family: every token issued from one grant shares it. A
/// family is never shown or sent, so a counter will do (no random token
/// to draw and store for every token issued), started at a random point in
/// each process, 2^31 apart, so that replicas on one database, and a
/// process and the one before it, never draw the same family. Below 2^63,
/// for the database's signed integers; never 0.
pub fn new_family() -> Family {
    static NEXT: std::sync::LazyLock<std::sync::atomic::AtomicU64> =
        std::sync::LazyLock::new(|| std::sync::atomic::AtomicU64::new((u64::from(rand::random::<u32>()) << 31) | 1));
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl AuthServer {
    /// A new access token's value: opaque (a random `at_…`), or a signed
    /// JWT (RFC 9068) for the clients the hooks say get one.
    fn access_token(&self, client: &Client, username: Option<&str>, scopes: &[String], iat: u64, exp: u64) -> String {
        let jwt = (self.hooks.access_token_format(&client.client_id) == AccessTokenFormat::Jwt)
            .then(crate::oauth::jwt::signer)
            .flatten();
        let Some(signer) = jwt else { return random_token("at_") };
        let claims = crate::oauth::jwt::AccessClaims {
            iss: self.settings.public_url.clone(),
            exp,
            aud: crate::oauth::jwt::audience(&self.settings.public_url),
            // §2.2: with no user (client credentials), the client itself.
            sub: username.unwrap_or(&client.client_id).to_string(),
            client_id: client.client_id.clone(),
            iat,
            jti: random_token(""),
            scope: scope_string(scopes),
        };
        signer.sign(&claims).unwrap_or_else(|| random_token("at_"))
    }

    /// Issues an access token for `scopes`, and a refresh token for
    /// `refresh_scopes` when given, recording both in one family.
    pub async fn issue_tokens(
        &self,
        client: &Client,
        username: Option<&str>,
        scopes: &[String],
        family: Family,
        refresh_scopes: Option<&[String]>,
    ) -> OAuthResult<TokenResponse> {
        let now = self.now(&client.client_id);
        let ttl = self.settings.access_token_ttl;
        let record = |kind, ttl: std::time::Duration, scopes: &[String]| TokenRecord {
            kind,
            client_id: client.client_id.clone(),
            username: username.map(str::to_string),
            scopes: scopes.to_vec(),
            family,
            issued_at: now,
            expires_at: now + ttl.as_secs(),
            revoked: false,
            rotated: false,
        };
        let access_token = self.access_token(client, username, scopes, now, now + ttl.as_secs());
        self.tokens
            .insert(&access_token, record(TokenKind::Access, ttl, scopes), Instant::now() + ttl)
            .await
            .map_err(|_| OAuthError::full("tokens"))?;
        let refresh_token = if let Some(refresh_scopes) = refresh_scopes {
            let rt = random_token("rt_");
            let rttl = self.settings.refresh_token_ttl;
            self.tokens
                .insert(&rt, record(TokenKind::Refresh, rttl, refresh_scopes), Instant::now() + rttl)
                .await
                .map_err(|_| OAuthError::full("tokens"))?;
            Some(rt)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: TokenType::Bearer,
            expires_in: ttl.as_secs(),
            scope: scope_string(scopes),
            created_at: crate::oauth::util::now_secs(),
            refresh_token,
            id_token: None,
        })
    }
}
