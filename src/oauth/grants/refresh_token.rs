//! Refreshing an access token (RFC 6749 §6), with rotation and reuse
//! detection (RFC 9700 §4.14.2): each refresh token works once; using an
//! old one again revokes the whole family, since one of the two users of it
//! must be an attacker.

use super::{require_grant, TokenGrant, TokenResponse};
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::{Client, TokenKind};
use crate::oauth::util::{scope_set, scope_string, Params};
use crate::oauth::{AuthServer, Defence};

pub struct RefreshToken;

#[async_trait::async_trait]
impl TokenGrant for RefreshToken {
    fn grant_type(&self) -> GrantType {
        GrantType::RefreshToken
    }

    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        _who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse> {
        require_grant(client, GrantType::RefreshToken)?;
        let token = params.get("refresh_token").ok_or_else(|| {
            OAuthError::invalid_request("The refresh_token parameter is missing (RFC 6749 section 6).")
        })?;
        let record = servers
            .tokens
            .get(token)
            .await
            .filter(|r| r.kind == TokenKind::Refresh)
            .ok_or_else(|| OAuthError::invalid_grant("The refresh token is unknown or expired."))?;
        if record.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "This refresh token was issued to another client (RFC 6749 section 6).",
            ));
        }
        // With rotation off for this client (`Hooks`), a spent token works
        // again.
        let vulnerable = record.rotated && servers.defence_off(&client.client_id, Defence::RefreshRotation);
        if record.rotated && !vulnerable {
            return Err(reused(servers, record.family).await);
        }
        if record.revoked {
            return Err(OAuthError::invalid_grant("This refresh token has been revoked."));
        }
        if servers.now(&record.client_id) >= record.expires_at {
            return Err(OAuthError::invalid_grant("The refresh token is expired."));
        }
        let scopes = match params.get("scope") {
            None => record.scopes.clone(),
            Some(asked) => {
                let asked = scope_set(asked);
                if let Some(extra) = asked.iter().find(|s| !record.scopes.contains(s)) {
                    return Err(OAuthError::invalid_scope(format!(
                        "A refresh may keep or narrow the original scope ({}) but not add {extra} (RFC 6749 section 6).",
                        scope_string(&record.scopes)
                    )));
                }
                if asked.is_empty() {
                    record.scopes.clone()
                } else {
                    asked
                }
            }
        };
        let rotated = servers.tokens.rotate(token).await.map_err(|_| OAuthError::unavailable("refresh"))?;
        if !rotated && !vulnerable {
            return Err(reused(servers, record.family).await);
        }
        // §6: the new refresh token keeps the original scope, even when this
        // access token is narrower.
        servers.issue_tokens(client, record.username.as_deref(), &scopes, record.family, Some(&record.scopes)).await
    }
}

async fn reused(servers: &AuthServer, family: crate::oauth::store::Family) -> OAuthError {
    // Refused either way; if the revocation could not be written, the
    // store has logged why.
    let _ = servers.tokens.revoke_family(family).await;
    OAuthError::invalid_grant(
        "This refresh token was already used and replaced by a newer one. Reusing it suggests it was stolen, so every token of this grant has been revoked (RFC 9700 section 4.14.2).",
    )
}
