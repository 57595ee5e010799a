//! The client credentials grant (RFC 6749 §4.4): a confidential client asks
//! for a token on its own behalf, with no user, and gets no refresh token.

use super::{new_family, require_grant, resolve_scope, TokenGrant, TokenResponse};
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::Client;
use crate::oauth::util::Params;
use crate::oauth::AuthServer;

pub struct ClientCredentials;

#[async_trait::async_trait]
impl TokenGrant for ClientCredentials {
    fn grant_type(&self) -> GrantType {
        GrantType::ClientCredentials
    }

    async fn exchange(
        &self,
        servers: &AuthServer,
        client: &Client,
        params: &Params,
        _who: &crate::oauth::Requester,
    ) -> OAuthResult<TokenResponse> {
        if !client.is_confidential() {
            return Err(OAuthError::unauthorized_client(
                "The client credentials grant is for confidential clients only: a public client has no secret, so anyone could ask in its name (RFC 6749 section 4.4).",
            ));
        }
        require_grant(client, GrantType::ClientCredentials)?;
        let scopes = resolve_scope(client, params.get("scope"))?;
        // §4.4.3: a refresh token SHOULD NOT be included.
        servers.issue_tokens(client, None, &scopes, new_family(), None).await
    }
}
