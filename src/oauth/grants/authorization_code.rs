//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636): the
//! user approves at the authorization endpoint, the client gets a one-time
//! code through the browser and redeems it on the back channel.

use super::{new_family, require_grant, AuthorizationRequest, AuthorizeGrant, Delivery, TokenGrant, TokenResponse};
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::protocol::{GrantType, ResponseType};
use crate::oauth::store::{Client, CodeGrant, Redeem, User};
use crate::oauth::util::{is_pkce_value, random_token, s256, Params};
use crate::oauth::{AuthServer, Defence};
use std::time::Instant;
use subtle::ConstantTimeEq;

pub struct AuthorizationCode;

#[async_trait::async_trait]
impl AuthorizeGrant for AuthorizationCode {
    fn response_type(&self) -> ResponseType {
        ResponseType::Code
    }
    fn grant_type(&self) -> GrantType {
        GrantType::AuthorizationCode
    }
    fn delivery(&self) -> Delivery {
        Delivery::Query
    }

    /// PKCE (RFC 7636 §4.3, §4.4.1): S256 only, and required of public
    /// clients, which have no secret to protect the code (RFC 9700 §2.1.1).
    fn check(&self, client: &Client, params: &Params) -> OAuthResult<Option<String>> {
        let challenge = params.get("code_challenge");
        if challenge.is_none() && params.contains("code_challenge_method") {
            return Err(OAuthError::invalid_request(
                "code_challenge_method was sent without code_challenge: send both, or neither (RFC 7636 section 4.3).",
            ));
        }
        match params.get("code_challenge_method") {
            Some("S256") => {}
            Some("plain") => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method plain is refused: with plain, anyone who sees the authorization request learns the verifier. Use S256 (RFC 7636 section 4.2, RFC 9700 section 2.1.1).",
                ))
            }
            Some(other) => {
                return Err(OAuthError::invalid_request(format!(
                    "code_challenge_method {other} is not supported; this server supports S256 only (RFC 7636 section 4.2)."
                )))
            }
            None if challenge.is_some() => {
                return Err(OAuthError::invalid_request(
                    "code_challenge was sent without code_challenge_method, which then defaults to plain; plain is refused, send code_challenge_method=S256 (RFC 7636 section 4.3).",
                ))
            }
            None => {}
        }
        match challenge {
            Some(c) if !is_pkce_value(c) => Err(OAuthError::invalid_request(
                "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ : the base64url SHA-256 of the verifier is 43 (RFC 7636 section 4.2).",
            )),
            Some(c) => Ok(Some(c.to_string())),
            None if !client.is_confidential() => Err(OAuthError::invalid_request(format!(
                "{} is a public client, so it must send a PKCE code_challenge with code_challenge_method=S256: without a secret, PKCE is what stops a stolen code from being redeemed (RFC 7636 section 4.4.1, RFC 9700 section 2.1.1).",
                client.client_id
            ))),
            None => Ok(None),
        }
    }

    async fn approve(
        &self,
        servers: &AuthServer,
        req: &AuthorizationRequest,
        user: &User,
        scopes: &[String],
    ) -> OAuthResult<Vec<(&'static str, String)>> {
        let code = random_token("code_");
        let grant = CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri_sent.then(|| req.redirect_uri.clone()),
            scopes: scopes.to_vec(),
            username: user.username.clone(),
            code_challenge: req.code_challenge.clone(),
            family: new_family(),
            nonce: req.nonce.clone(),
            auth_time: servers.now(&req.client_id),
        };
        servers
            .codes
            .insert(&code, grant, Instant::now() + servers.settings.code_ttl)
            .await
            .map_err(|_| OAuthError::full("authorization codes"))?;
        let mut out = vec![("code", code)];
        if let Some(state) = &req.state {
            out.push(("state", state.clone()));
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl TokenGrant for AuthorizationCode {
    fn grant_type(&self) -> GrantType {
        GrantType::AuthorizationCode
    }

    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        _who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse> {
        require_grant(client, GrantType::AuthorizationCode)?;
        let code = params.get("code").ok_or_else(|| OAuthError::invalid_request("The code parameter is missing."))?;
        let mut refusal = None;
        // With the verifier check off for this client (`Hooks`), a PKCE
        // failure is let through.
        let checks = |grant: &CodeGrant| {
            check_redemption(client, params, grant)?;
            match check_pkce(params, grant) {
                Err(_) if servers.defence_off(&client.client_id, Defence::PkceVerifier) => Ok(()),
                other => other,
            }
        };
        let mut accept = |grant: &CodeGrant| match checks(grant) {
            Ok(()) => true,
            Err(e) => {
                refusal = Some(e);
                false
            }
        };
        let grant = match servers.codes.redeem(code, &mut accept).await {
            Redeem::Unknown => {
                return Err(OAuthError::invalid_grant(format!(
                    "The authorization code is unknown or expired: this server keeps codes {} seconds, its own choice within the at most 10 minutes that RFC 6749 section 4.1.2 recommends.",
                    servers.settings.code_ttl.as_secs()
                )))
            }
            // With single use off for this client (`Hooks`), a spent code
            // works again, for its own client only.
            Redeem::Replayed(grant) if servers.defence_off(&client.client_id, Defence::SingleUseCode) => {
                checks(&grant)?;
                grant
            }
            Redeem::Replayed(grant) => {
                // §4.1.2, RFC 9700 §4.2.4: a second use means the code
                // leaked, so everything issued from it is revoked.
                // Refused either way; a revocation that could not be
                // written has been logged by the store.
                let _ = servers.tokens.revoke_family(grant.family).await;
                return Err(OAuthError::invalid_grant(
                    "This authorization code was already used. A code is single-use; because it was replayed, every token issued from it has now been revoked (RFC 6749 section 4.1.2).",
                ));
            }
            Redeem::Refused => {
                return Err(refusal.unwrap_or_else(|| OAuthError::invalid_grant("The code was refused.")))
            }
            Redeem::Fresh(grant) => grant,
        };
        let with_refresh = client.allows_grant(GrantType::RefreshToken);
        let mut issued = servers
            .issue_tokens(
                client,
                Some(&grant.username),
                &grant.scopes,
                grant.family,
                with_refresh.then_some(&grant.scopes[..]),
            )
            .await?;
        // OpenID Connect Core 1.0 §3.1.3.3: with the openid scope, an ID
        // token for the user, bound to this access token (`at_hash`).
        if crate::oauth::endpoints::oidc::is_openid(&grant.scopes) {
            issued.id_token = servers.id_token(
                &client.client_id,
                &grant.username,
                grant.nonce.as_deref(),
                grant.auth_time,
                &issued.access_token,
            );
        }
        Ok(issued)
    }
}

/// What binds a code (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.8.2):
/// the client and the redirect URI; then `check_pkce`.
fn check_redemption(client: &Client, params: &Params, grant: &CodeGrant) -> OAuthResult<()> {
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "This authorization code was issued to another client (RFC 6749 section 4.1.3).",
        ));
    }
    let sent = params.get("redirect_uri");
    match (&grant.redirect_uri, sent) {
        (Some(expected), Some(sent)) if expected == sent => {}
        (Some(_), _) => return Err(OAuthError::invalid_grant(
            "redirect_uri must be sent, identical to the one in the authorization request (RFC 6749 section 4.1.3).",
        )),
        (None, Some(sent)) if !client.redirect_uris.iter().any(|u| u == sent) => {
            return Err(OAuthError::invalid_grant("redirect_uri does not match the redirect URI the code was sent to."))
        }
        (None, _) => {}
    }
    Ok(())
}

/// PKCE (RFC 7636 §4.6, RFC 9700 §4.8.2).
fn check_pkce(params: &Params, grant: &CodeGrant) -> OAuthResult<()> {
    match (&grant.code_challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                let ok = is_pkce_value(verifier) && bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()));
                if !ok {
                    return Err(OAuthError::invalid_grant(
                        "code_verifier does not match the code_challenge: BASE64URL(SHA256(code_verifier)) must equal the challenge sent with the authorization request (RFC 7636 section 4.6).",
                    ));
                }
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier is missing: this code was issued with a PKCE code_challenge, so only the holder of the verifier may redeem it (RFC 7636 section 4.5).",
                ))
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "A code_verifier was sent but the authorization request had no code_challenge; an attacker could be injecting a code, so it is refused (RFC 9700 section 4.8.2).",
                ))
            }
            (None, None) => {}
        }
    Ok(())
}
