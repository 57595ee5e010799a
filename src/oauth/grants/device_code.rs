//! The device authorization grant (RFC 8628): the device asks for a device
//! code and a user code, the user approves on another screen, and the
//! device polls the token endpoint until the answer is there (§3.4, §3.5).

use super::{require_grant, TokenGrant, TokenResponse};
use crate::oauth::error::{ErrorCode, OAuthError, OAuthResult};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::{Client, DeviceState, Poll};
use crate::oauth::util::Params;
use crate::oauth::AuthServer;
use std::time::Instant;

pub struct DeviceCode;

#[async_trait::async_trait]
impl TokenGrant for DeviceCode {
    fn grant_type(&self) -> GrantType {
        GrantType::DeviceCode
    }

    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        _who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse> {
        require_grant(client, GrantType::DeviceCode)?;
        let code = params.get("device_code").ok_or_else(|| {
            OAuthError::invalid_request("The device_code parameter is missing (RFC 8628 section 3.4).")
        })?;
        match servers.devices.poll(code, &client.client_id, Instant::now()).await {
            Poll::Unknown => Err(OAuthError::invalid_grant("The device code is unknown or has expired.")),
            Poll::OtherClient => {
                Err(OAuthError::invalid_grant("This device code was issued to another client (RFC 8628 section 3.4)."))
            }
            Poll::Pending => Err(OAuthError::new(
                ErrorCode::AuthorizationPending,
                "The user has not yet entered the code and decided. Poll again after the interval (RFC 8628 section 3.5).",
            )),
            Poll::SlowDown => Err(OAuthError::new(
                ErrorCode::SlowDown,
                "Polled sooner than the interval allows: wait 5 seconds longer between polls from now on (RFC 8628 section 3.5).",
            )),
            Poll::Denied => Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "The user denied the request on the verification page (RFC 8628 section 3.5).",
            )),
            Poll::Expired => Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "The device code expired before the user decided; start again (RFC 8628 section 3.5).",
            )),
            Poll::Used => Err(OAuthError::invalid_grant("This device code was already redeemed.")),
            Poll::Approved(grant) => {
                let DeviceState::Approved { username, scopes } = grant.state else {
                    return Err(OAuthError::invalid_grant("The device code was refused."));
                };
                let with_refresh = client.allows_grant(GrantType::RefreshToken);
                servers.issue_tokens(client, Some(&username), &scopes, grant.family, with_refresh.then_some(&scopes[..])).await
            }
        }
    }
}
