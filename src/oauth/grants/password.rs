//! The resource owner password credentials grant (RFC 6749 §4.3): the
//! client collects the user's password itself and sends it here. RFC 9700
//! §2.4 says it MUST NOT be used; this server keeps it to show why.

use super::{new_family, require_grant, resolve_scope, TokenGrant, TokenResponse};
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::Client;
use crate::oauth::util::{secrets_equal, Params};
use crate::oauth::AuthServer;

pub struct Password;

#[async_trait::async_trait]
impl TokenGrant for Password {
    fn grant_type(&self) -> GrantType {
        GrantType::Password
    }

    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse> {
        require_grant(client, GrantType::Password)?;
        let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
            return Err(OAuthError::invalid_request(
                "The password grant needs both username and password (RFC 6749 section 4.3.2).",
            ));
        };
        let scopes = resolve_scope(client, params.get("scope"))?;
        // §4.3.2, §10.7: guessing passwords here must be slowed down.
        let who = &who.key();
        if let Some(secs) = servers.users.locked_for(username, who) {
            return Err(OAuthError::invalid_grant(format!(
                "Too many failed sign-ins for {username}: it is locked for {secs} more seconds to stop password guessing (RFC 6749 section 4.3.2)."
            )));
        }
        let user = servers.users.get(username).filter(|u| secrets_equal(password, &u.password_hash));
        let Some(user) = user else {
            servers.users.record_failure(username, who);
            return Err(OAuthError::invalid_grant("The username or password is wrong (RFC 6749 section 4.3.2)."));
        };
        servers.users.record_success(username, who);
        let with_refresh = client.allows_grant(GrantType::RefreshToken);
        servers
            .issue_tokens(client, Some(&user.username), &scopes, new_family(), with_refresh.then_some(&scopes[..]))
            .await
    }
}
