//! The implicit grant (RFC 6749 §4.2): the access token comes straight back
//! in the redirect's fragment, read by browser code, with no refresh token.
//! RFC 9700 §2.1.2 says clients SHOULD NOT use it and OAuth 2.1 removes it;
//! this server keeps it to teach why.

use super::{new_family, AuthorizationRequest, AuthorizeGrant, Delivery};
use crate::oauth::error::OAuthResult;
use crate::oauth::protocol::{GrantType, ResponseType};
use crate::oauth::store::{Client, User};
use crate::oauth::util::Params;
use crate::oauth::AuthServer;

pub struct Implicit;

#[async_trait::async_trait]
impl AuthorizeGrant for Implicit {
    fn response_type(&self) -> ResponseType {
        ResponseType::Token
    }
    fn grant_type(&self) -> GrantType {
        GrantType::Implicit
    }
    fn delivery(&self) -> Delivery {
        Delivery::Fragment
    }
    fn check(&self, _client: &Client, _params: &Params) -> OAuthResult<Option<String>> {
        Ok(None)
    }

    async fn approve(
        &self,
        servers: &AuthServer,
        req: &AuthorizationRequest,
        user: &User,
        scopes: &[String],
    ) -> OAuthResult<Vec<(&'static str, String)>> {
        let client = servers.clients.get(&req.client_id).await;
        let client = client.ok_or_else(|| crate::oauth::error::OAuthError::invalid_request("The client is gone."))?;
        // §4.2.2: never a refresh token in the implicit grant.
        let t = servers.issue_tokens(&client, Some(&user.username), scopes, new_family(), None).await?;
        let mut out = vec![
            ("access_token", t.access_token),
            ("token_type", t.token_type.to_string()),
            ("expires_in", t.expires_in.to_string()),
            ("scope", t.scope),
        ];
        if let Some(state) = &req.state {
            out.push(("state", state.clone()));
        }
        Ok(out)
    }
}
