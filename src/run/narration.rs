//! What each step means, in two or three sentences, with the RFC section
//! that defines it. Written for a learner; the RFC's vocabulary throughout.

use super::{Channel, Grant, Step, StepKind};

pub struct Narration {
    pub text: &'static str,
    pub rfc: &'static str,
    pub url: &'static str,
}

const fn n(text: &'static str, rfc: &'static str, url: &'static str) -> Narration {
    Narration { text, rfc, url }
}

/// What `step` means in a run of `grant`.
pub fn explain(step: &Step, grant: Grant) -> Narration {
    use StepKind::*;
    let request = step.exchange.as_ref().map(|x| &x.request);
    if grant == Grant::OwnApp {
        if let Some(told) = own_program(step.kind, request.map(|r| r.body.as_str()).unwrap_or_default()) {
            return told;
        }
    }
    if grant == Grant::OwnProvider {
        if let Some(told) = own_provider(step.kind, request.map(|r| r.body.as_str()).unwrap_or_default()) {
            return told;
        }
    }
    match step.kind {
        TokenRequest if request.is_some_and(|r| r.method == "GET") => n(
            "A GET to the token endpoint with every parameter in the URL, the client secret included, as the go-oauth2 server tutorial sends it. RFC 6749 §3.2 has the client use POST, and §2.3.1 keeps secrets out of the request URI, because servers, proxies and browsers keep URLs: in access logs and in history.",
            "RFC 6749 §3.2, §2.3.1",
            "https://www.rfc-editor.org/rfc/rfc6749#section-3.2",
        ),
        Revoke => revocation(request.map(|r| r.body.as_str()).unwrap_or_default()),
        Register | ClientStart | AuthorizeRequest | UserSignsIn | Consent | Callback | TypesPassword | PasswordForm
        | ServiceStart => getting_a_grant(step.kind, grant),
        _ => using_it(step.kind, grant),
    }
}

/// In a learner's own program's run, the steps whose usual text tells what
/// the lab's own app does: here they are told from the request, since the
/// program is the learner's. `body` is the request's body.
fn own_program(kind: StepKind, body: &str) -> Option<Narration> {
    use StepKind::*;
    let grant_type = super::parse_form(body).into_iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v);
    Some(match kind {
        Register => n(
            "The lab registered a client for your program, with the redirect URIs you gave, every grant this server has and its scopes: this is the client_id (and client_secret) your program uses. Every request that names this client or carries one of its tokens joins this run.",
            "RFC 7591 §3",
            "https://www.rfc-editor.org/rfc/rfc7591#section-3",
        ),
        Consent => n(
            "The sign-in and consent form goes to the authorization server, which answers 303 See Other to your program's redirect URI: with a one-time code for response_type=code, or with the access token in the URL fragment for response_type=token, and with the state if your program sent one. The lab sees no more of the front channel: what your program's page does with it happens there.",
            "RFC 6749 §4.1.2, §4.2.2",
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
        ),
        TokenRequest => match grant_type.as_deref() {
            Some("authorization_code") => n(
                "Your program redeems the code at the token endpoint, with the redirect_uri it used, its PKCE code_verifier if it sent a challenge, and its client credentials if it has a secret (a public client sends only its client_id). The answer is the access token, and a refresh token.",
                "RFC 6749 §4.1.3, RFC 7636 §4.5",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
            ),
            Some("password") => n(
                "Your program sends the user's username and password to the token endpoint with grant_type=password, with its own client credentials, and gets an access token and a refresh token.",
                "RFC 6749 §4.3.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2",
            ),
            Some("client_credentials") => n(
                "Your program authenticates with its client_id and client_secret and asks for a token for itself, with no user. No refresh token comes back: it can simply ask again.",
                "RFC 6749 §4.4.2, §4.4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2",
            ),
            _ => n(
                "Your program asks the token endpoint for a token; grant_type says which grant, and the answer is a token or an error.",
                "RFC 6749 §3.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-3.2",
            ),
        },
        Introspect => n(
            "Your program asks the introspection endpoint whether a token is active and what it grants, authenticating as itself. This server tells a caller only about the tokens issued to it; any other token gets active: false, as the RFC allows.",
            "RFC 7662 §2.1, §2.2",
            "https://www.rfc-editor.org/rfc/rfc7662#section-2.2",
        ),
        Other => n(
            "A request of your program to the API, with one of its tokens; the resource server checks the token and the scope the path needs.",
            "RFC 6750 §2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
        ),
        _ => return None,
    })
}

/// In a run against the learner's own provider: what the lab's client
/// sent, told as the lab's client, and what a provider that follows the
/// RFCs answers. `body` is the request's body.
fn own_provider(kind: StepKind, body: &str) -> Option<Narration> {
    use StepKind::*;
    let grant_type = super::parse_form(body).into_iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v);
    Some(match kind {
        Discovery => n(
            "The lab's client reads your provider's metadata: first /.well-known/openid-configuration under the issuer (OpenID Connect Discovery), then /.well-known/oauth-authorization-server (RFC 8414) if that finds none. The issuer the metadata states must be exactly the one it was fetched for, or the client must not use it. From here on the lab calls only the origins the issuer and these endpoints name.",
            "RFC 8414 §3, OpenID Connect Discovery 1.0 §4",
            "https://www.rfc-editor.org/rfc/rfc8414#section-3",
        ),
        Register => n(
            "You gave no client id, and your provider has a registration endpoint, so the lab's client registers itself: its redirect URI, the grants it plays and how it authenticates. The answer is its client_id and client_secret at your provider.",
            "RFC 7591 §3.1, §3.2.1",
            "https://www.rfc-editor.org/rfc/rfc7591#section-3.1",
        ),
        ClientStart => n(
            "You opened the lab's sign-in link in a new tab. The lab's client answers with a redirect to your provider's authorization endpoint: response_type=code, client_id, redirect_uri, scope, state, and a PKCE code_challenge with S256; with openid in the scope, a nonce too. What happens at your provider (its sign-in and consent pages) is between your browser and it: the lab does not see it.",
            "RFC 6749 §4.1.1, RFC 7636 §4.3",
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1",
        ),
        Callback => n(
            "Your provider sends your browser back to the lab's redirect URI with the code and the state. The lab's client checks that the state is the one it sent, in this same browser, before it uses the code.",
            "RFC 6749 §4.1.2, §10.12",
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
        ),
        TokenRequest => match grant_type.as_deref() {
            Some("client_credentials") => n(
                "The lab's client asks your provider's token endpoint for a token for itself, with no user, authenticating with its client credentials. A refresh token should not come back for this grant.",
                "RFC 6749 §4.4.2, §4.4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2",
            ),
            _ => n(
                "The lab's client redeems the code at your provider's token endpoint with the same redirect_uri and its PKCE code_verifier, authenticating as the client. The answer is an access token, often a refresh token, and an ID token if openid was in the scope.",
                "RFC 6749 §4.1.3, RFC 7636 §4.5",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
            ),
        },
        Jwks => n(
            "An ID token came back, so the lab's client fetches your provider's public keys from the jwks_uri its metadata names. The ID token's header names the kid of the key that signed it.",
            "OpenID Connect Discovery 1.0 §3",
            "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata",
        ),
        IdTokenCheck => n(
            "The lab's client checks your provider's ID token as a relying party must: the signature with a key from its jwks_uri, iss, aud and azp, exp and iat, the nonce it sent, and at_hash against the access token. The table shows each check with your provider's real values. Nothing crosses the wire; a check that fails here is one a careful client of your provider refuses the sign-in on.",
            "OpenID Connect Core 1.0 §3.1.3.7",
            "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
        ),
        Refresh => n(
            "The lab's client trades the refresh token for a new access token at your provider. The provider may rotate the refresh token too: then the old one must stop working.",
            "RFC 6749 §6, RFC 9700 §4.14.2",
            "https://www.rfc-editor.org/rfc/rfc6749#section-6",
        ),
        Revoke => n(
            "The lab's client asks your provider to revoke its token, with a token_type_hint. A provider answers 200 whether or not it knew the token.",
            "RFC 7009 §2.1, §2.2",
            "https://www.rfc-editor.org/rfc/rfc7009#section-2.1",
        ),
        Introspect => n(
            "The lab's client asks your provider's introspection endpoint about its token, authenticating as itself: active true with what the token grants, or only active false.",
            "RFC 7662 §2.1, §2.2",
            "https://www.rfc-editor.org/rfc/rfc7662#section-2.2",
        ),
        UserInfo => n(
            "The lab's client asks your provider's UserInfo endpoint about the signed-in user, with the access token as a bearer token. The sub it answers must be the ID token's.",
            "OpenID Connect Core 1.0 §5.3",
            "https://openid.net/specs/openid-connect-core-1_0.html#UserInfo",
        ),
        _ => return None,
    })
}

/// The steps up to the grant: registration, the user's part, the
/// authorization response. A table of text, one arm per step kind, so it
/// is as long as the texts are.
fn getting_a_grant(kind: StepKind, grant: Grant) -> Narration {
    use StepKind::*;
    match kind {
        Register if grant == Grant::MastodonBot => n(
            "Step 1 of the seed: the bot creates an app with POST /api/v1/apps, a form with client_name, redirect_uris, scopes and website, as Mastodon.create_app sends it. Mastodon answers a CredentialApplication with the client_id and client_secret. It is this server's RFC 7591 registry under Mastodon's name: an app made one way is a client the other way too.",
            "RFC 7591 §3",
            "https://www.rfc-editor.org/rfc/rfc7591#section-3",
        ),
        Register => n(
            "Before any grant, the app registers with the authorization server, as a Mastodon app does with \"create app\". It sends its redirect URIs, grant types and scope, and gets back a client_id (and a client_secret if it can keep one).",
            "RFC 7591 §3",
            "https://www.rfc-editor.org/rfc/rfc7591#section-3",
        ),
        ClientStart => match grant {
            Grant::MastodonBot => n(
                "The bot's owner opens its setup page, where the bot asks for the name and password of the account it will post as. Nothing has gone to the authorization server yet: the bot itself collects the password, which is the password grant's flaw.",
                "RFC 6749 §4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3",
            ),
            Grant::OpenIdConnect => n(
                "The user chooses \"Sign in with the lab\". The app sends the browser to the authorization endpoint from the metadata it discovered, with response_type=code and scope=openid profile email read: openid makes it an OpenID Connect request. Next to state and the PKCE challenge it sends a nonce, a random value it keeps, which the ID token must carry back.",
                "OpenID Connect Core 1.0 §3.1.2.1",
                "https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest",
            ),
            Grant::DeviceCode => n(
                "The user turns on the device, a TV app in this lab. It has no keyboard worth typing a password on, so before it can show anything it asks the authorization server for a code (the nested step that follows), then shows the user code and where to enter it.",
                "RFC 8628 §3.3",
                "https://www.rfc-editor.org/rfc/rfc8628#section-3.3",
            ),
            Grant::Password => n(
                "The user opens the app, which shows its own sign-in form. Nothing is sent to the authorization server yet: the app itself will collect the password.",
                "RFC 6749 §4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3",
            ),
            Grant::ClientCredentials => n(
                "An operator opens the service's console, a page of the app itself. Nothing is sent to the authorization server yet, and no user will sign in.",
                "RFC 6749 §4.4",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
            ),
            Grant::Implicit => n(
                "The user asks the app to sign in. The app sends the browser to the authorization endpoint with response_type=token, client_id, redirect_uri, scope and state. There is no PKCE challenge: no code comes back for a verifier to redeem.",
                "RFC 6749 §4.2.1",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.1",
            ),
            _ => n(
                "The user asks the app to sign in. The app answers with a redirect that sends the browser to the authorization endpoint with response_type=code, client_id, redirect_uri, scope, state, and the PKCE code_challenge with code_challenge_method=S256.",
                "RFC 6749 §4.1.1, RFC 7636 §4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1",
            ),
        },
        AuthorizeRequest => n(
            "The browser follows the redirect to the authorization endpoint. The server checks the client, and that the redirect URI equals one registered for it (a loopback URI may differ only in its port), then shows its own sign-in and consent page: the app never sees the password.",
            "RFC 6749 §3.1, §3.1.2.3, RFC 8252 §7.3",
            "https://www.rfc-editor.org/rfc/rfc6749#section-3.1",
        ),
        UserSignsIn => match grant {
            Grant::DeviceCode => n(
                "On the phone, the user signs in to the authorization server's page and decides whether the device may have access. This happens in the browser, not on the network; the device is not involved.",
                "RFC 8628 §3.3",
                "https://www.rfc-editor.org/rfc/rfc8628#section-3.3",
            ),
            Grant::Implicit => n(
                "The resource owner types their username and password into the authorization server's page and decides which scopes to grant. This happens in the browser, not on the network.",
                "RFC 6749 §4.2.1",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.1",
            ),
            _ => n(
                "The resource owner types their username and password into the authorization server's page and decides which scopes to grant. This happens in the browser, not on the network.",
                "RFC 6749 §4.1.1",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1",
            ),
        },
        Consent => match grant {
            Grant::Implicit => n(
                "The form goes to the authorization server, which answers 303 See Other to the redirect URI with the access token in the URL fragment. Browsers never send a fragment to servers, so no server receives it: it stays in the browser, where the page's script reads it, and where history keeps the URL.",
                "RFC 6749 §4.2.2, RFC 9700 §4.3.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.2",
            ),
            _ => n(
                "The form goes to the authorization server, which answers 303 See Other to the redirect URI with a one-time code and the state. 303 makes the browser follow with GET, so the password is not posted again. The code is short-lived: this server keeps it 60 seconds, its own choice within the RFC's advice of at most 10 minutes.",
                "RFC 6749 §4.1.2, RFC 9700 §4.12",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
            ),
        },
        Callback => match grant {
            Grant::Implicit => n(
                "The browser loads the redirect URI. Look at the request: no token in it. The fragment stayed in the browser, so the client's server never receives the access token; the page's script reads it, after checking that state is the one the app sent in this browser.",
                "RFC 6749 §4.2.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.2",
            ),
            _ => n(
                "The browser brings the code and state to the app's redirect URI. The app checks that state is the one it sent, to this same browser: the cookie it set when the login began must come back with the callback. A callback planted in another browser (CSRF) fails that check. Then it redeems the code, in a direct request to the token endpoint, before it answers the browser.",
                "RFC 6749 §10.12, RFC 9700 §4.7.1",
                "https://www.rfc-editor.org/rfc/rfc6749#section-10.12",
            ),
        },
        TypesPassword => n(
            "The user types their username and password into the app's own form. This is the problem with this grant: the app sees the user's password and could keep it, misuse it or leak it.",
            "RFC 9700 §2.4",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.4",
        ),
        PasswordForm => n(
            "The browser posts the password to the app. Look at the body: the client now holds the user's credentials in the clear. RFC 9700 §2.4 says this grant MUST NOT be used, and the OAuth 2.1 draft removes it; use authorization code with PKCE instead.",
            "RFC 9700 §2.4",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.4",
        ),
        ServiceStart => n(
            "An operator starts the service's job. There is no user in this grant: the service acts on its own behalf, with its own credentials.",
            "RFC 6749 §4.4",
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
        ),
        _ => using_it(kind, grant),
    }
}

/// The steps from the grant on: tokens, the API, the device grant's
/// polling, and the lab's own steps. A table of text, like
/// `getting_a_grant`.
fn using_it(kind: StepKind, grant: Grant) -> Narration {
    use StepKind::*;
    match kind {
        TokenRequest => match grant {
            Grant::OpenIdConnect => n(
                "The app redeems the code with its PKCE verifier and its client credentials, as in the code grant. Because the scope held openid, the answer carries an id_token next to the access token: a JWT signed by the provider that says who signed in (sub), to which app (aud), when (iat, auth_time), and the nonce. The ID token is for the app to read; the access token is for the API.",
                "OpenID Connect Core 1.0 §3.1.3.3",
                "https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse",
            ),
            Grant::MastodonBot => n(
                "Step 2 of the seed: the bot sends the user's name and password with grant_type=password and scope=read write, its client_id and client_secret in the form, as Mastodon.py's log_in does, and gets a token whose answer carries Mastodon's scope and created_at. Mastodon itself removed this grant in 4.4; the lab keeps it as the lesson of why (RFC 9700 §2.4). A bot today uses the code flow once, with the out-of-band redirect, and keeps the token.",
                "RFC 6749 §4.3.2, RFC 9700 §2.4",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2",
            ),
            Grant::Password => n(
                "The app sends the user's username and password to the token endpoint with grant_type=password, authenticating with its own client credentials, and gets an access token and a refresh token.",
                "RFC 6749 §4.3.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2",
            ),
            Grant::ClientCredentials => n(
                "The service authenticates with its client_id and client_secret and asks for a token for itself. No refresh token comes back: it can simply ask again.",
                "RFC 6749 §4.4.2, §4.4.3",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2",
            ),
            _ => n(
                "In a direct request to the token endpoint, the app redeems the code with the PKCE code_verifier, and with its client credentials if it has any (a public client sends only its client_id). The server checks SHA-256(verifier) against the challenge from the first redirect, so a stolen or injected code is useless without the verifier. PKCE is a MUST for public clients; for confidential ones RFC 9700 recommends it too, against code injection and CSRF.",
                "RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §2.1.1, §4.5.3.1, §4.7.1",
                "https://www.rfc-editor.org/rfc/rfc7636#section-4.6",
            ),
        },
        ReadsFragment => n(
            "Script in the page reads the access token from location.hash, after checking state. The token came in a URL, and that is why RFC 9700 says clients SHOULD NOT use this grant: it can leak through redirect-URI flaws, Referer headers and browser history (§4.1 to §4.3), an attacker can inject a stolen token (§4.6), and nothing binds it to the client. The OAuth 2.1 draft removes the grant.",
            "RFC 9700 §2.1.2",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
        ),
        VerifyCredentials if grant == Grant::OpenIdConnect => n(
            "The app calls the API with the access token, not the ID token. The ID token tells the app who signed in; only the access token grants anything at a resource server, which refuses an ID token offered in its place.",
            "RFC 6750 §2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
        ),
        Discovery => n(
            "Before anything else the app, the relying party, reads the provider's metadata at the issuer's /.well-known/openid-configuration. It checks that the issuer in it is exactly the one it asked for, and learns every endpoint, the scopes and claims, and where the signing keys are (jwks_uri). The openidconnect crate makes this request.",
            "OpenID Connect Discovery 1.0 §4",
            "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig",
        ),
        Jwks => n(
            "The app fetches the provider's public keys from jwks_uri. Each has a kid; an ID token's header names the kid that signed it, and the app verifies the signature with that key. A provider rotates keys by publishing a new one here before it signs with it.",
            "OpenID Connect Discovery 1.0 §3",
            "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata",
        ),
        IdTokenCheck => n(
            "The app checks the ID token before it believes a word of it: the signature against the JWKS key, iss, aud and azp, exp and iat, the nonce against the one it kept, and at_hash against the access token. The table below shows each check with the real values, pass or fail. Only if all pass is the user signed in. Nothing crosses the wire: the app holds the keys already.",
            "OpenID Connect Core 1.0 §3.1.3.7",
            "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
        ),
        IdTokenSignIn => n(
            "An ID token is posted to the app's sign-in endpoint, as the script of a \"Sign in with\" button hands the token it got to its own back end. The app believes none of it yet: next it checks the token exactly as it checks one from the token endpoint, against the nonce it kept for this browser's sign-in.",
            "OpenID Connect Core 1.0 §3.1.3.7",
            "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
        ),
        UserInfo => n(
            "The app asks the UserInfo endpoint about the user, with the access token as a Bearer token. The answer's sub must be the ID token's sub, or the app refuses it. The app keys its user by sub (with iss), never by email: an email can change, be given to someone else later, or be claimed at another provider, while sub is never reassigned within one issuer.",
            "OpenID Connect Core 1.0 §5.3.2, §5.7",
            "https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse",
        ),
        VerifyCredentials => n(
            "The token is used: GET verify_credentials with Authorization: Bearer. The resource server checks the token and its read scope and answers with the account it stands for.",
            "RFC 6750 §2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
        ),
        PostStatus if grant == Grant::MastodonBot => n(
            "Step 3 of the seed: the first toot. POST /api/v1/statuses with status=... and the token as Bearer; it needs write:statuses, which write covers. The answer is Mastodon's Status entity, its content the text as escaped HTML.",
            "RFC 6750 §2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
        ),
        PostStatus => n(
            "The same token posts a status, which needs the write scope. Without it the resource server would answer 403 insufficient_scope.",
            "RFC 6750 §3.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
        ),
        Refresh => n(
            "The app trades its refresh token for a new access token without the user. The refresh token rotates: the old one is now spent, so that the server can tell when a stolen one is used. If a thief and the app both use it, whichever comes second presents a spent token; the server cannot tell which one is the thief, so it revokes the whole family.",
            "RFC 6749 §6, RFC 9700 §4.14.2",
            "https://www.rfc-editor.org/rfc/rfc6749#section-6",
        ),
        Revoke => revocation(""),
        Introspect => n(
            "The app asks the introspection endpoint whether a token is active and what it grants. Introspection is for a resource server that holds a token it cannot read itself; in this run the app plays that part, to show the answer. The caller authenticates. This server lets a caller introspect only the tokens issued to it, its own choice since the app plays the resource server here; any other token gets active: false, as the RFC allows.",
            "RFC 7662 §1, §2, §2.2",
            "https://www.rfc-editor.org/rfc/rfc7662#section-2",
        ),
        DeviceAuthorization => n(
            "The device asks the device authorization endpoint for codes, with its client_id and the scope. It gets a device_code to poll with (kept on the device), a short user_code for the user, the verification_uri, and how long and how often it may poll.",
            "RFC 8628 §3.1, §3.2",
            "https://www.rfc-editor.org/rfc/rfc8628#section-3.2",
        ),
        ReadsUserCode => n(
            "The user reads the code off the TV and opens the verification page on a phone or computer, where typing is easy. Nothing crosses the wire between the device and the phone: the user carries the code.",
            "RFC 8628 §3.3",
            "https://www.rfc-editor.org/rfc/rfc8628#section-3.3",
        ),
        DeviceVerification => n(
            "The phone's browser opens the verification page. With verification_uri_complete the code is already filled in; the page names the app and asks the user to check that the code matches the one on the device.",
            "RFC 8628 §3.3, §3.3.1",
            "https://www.rfc-editor.org/rfc/rfc8628#section-3.3.1",
        ),
        DeviceConsent => n(
            "The user signs in on the authorization server's page and approves. The answer goes nowhere near the device: the server only marks the device code as approved, and the device learns it on its next poll.",
            "RFC 8628 §3.3",
            "https://www.rfc-editor.org/rfc/rfc8628#section-3.3",
        ),
        DevicePoll => n(
            "The device polls the token endpoint with grant_type=urn:ietf:params:oauth:grant-type:device_code and its device_code. Until the user decides it is told authorization_pending (400), and slow_down if it polls too often; once approved it gets the tokens.",
            "RFC 8628 §3.4, §3.5",
            "https://www.rfc-editor.org/rfc/rfc8628#section-3.5",
        ),
        Attack => n(
            "The attacker acts off the wire: this is what she knows or does at this point. The next steps show what the servers answer when she uses it.",
            "RFC 9700 §4",
            "https://www.rfc-editor.org/rfc/rfc9700#section-4",
        ),
        LabClock => n(
            "The lab clock runs fast in this run (the speed is in the label): the servers judge this app's tokens by it, so the access token, issued for 3600 seconds, is now past its exp, though only seconds of real time went by.",
            "RFC 6749 §5.1 (expires_in)",
            "https://www.rfc-editor.org/rfc/rfc6749#section-5.1",
        ),
        Other => n("A request of this run.", "RFC 6749", "https://www.rfc-editor.org/rfc/rfc6749"),
        _ => n("A request of this run.", "RFC 6749", "https://www.rfc-editor.org/rfc/rfc6749"),
    }
}

/// The revocation step, told from the request's `token_type_hint`.
fn revocation(body: &str) -> Narration {
    let hint = super::parse_form(body).into_iter().find(|(k, _)| k == "token_type_hint").map(|(_, v)| v);
    if hint.as_deref() == Some("refresh_token") {
        n(
            "The app is done and revokes its refresh token, authenticating as itself if it is confidential (a public client, like the TV app, sends only its client_id). RFC 7009 says the server SHOULD then revoke the access tokens of the same grant too, and this one does (a JWT access token, checked alone by the resource server, still works until its exp). The server refuses a token issued to another client, a client that fails authentication gets invalid_client (401 with a challenge when it tried HTTP Basic), and a token that is unknown or already invalid still gets 200: there is nothing left to revoke.",
            "RFC 7009 §2.1, §2.2, §2.2.1, RFC 6749 §5.2",
            "https://www.rfc-editor.org/rfc/rfc7009#section-2.1",
        )
    } else {
        n(
            "The app revokes its access token, authenticating as itself if it is confidential (a public client sends only its client_id): the token is no longer active, which introspection reports at once, and a resource server that looks tokens up refuses it (a JWT access token, checked alone, works until its exp). The server refuses a token issued to another client, a client that fails authentication gets invalid_client (401 with a challenge when it tried HTTP Basic), and a token that is unknown or already invalid still gets 200: there is nothing left to revoke.",
            "RFC 7009 §2.1, §2.2, §2.2.1, RFC 6749 §5.2",
            "https://www.rfc-editor.org/rfc/rfc7009#section-2.1",
        )
    }
}

/// The channel in a few words, for the legend.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Front => "Front channel: a page the browser loads",
        Channel::Back => "Back channel: a direct request",
        Channel::Local => "Not on the wire",
    }
}

pub fn channel_note(channel: Channel) -> &'static str {
    match channel {
        Channel::Front => {
            "Front channel: a page the browser loads, by a redirect, a link or a form post. The user and browser extensions see it; the URL of each page stays in history and can leak in Referer headers (RFC 9700 §4.2, §4.3), though a form's body does not."
        }
        Channel::Back => "Back channel: a direct request from the client to a server (from its server, a device, or a page's script), not through browser redirects.",
        Channel::Local => "Not a network message: something a person or a page's script does.",
    }
}

pub fn deprecation(grant: Grant) -> Option<&'static str> {
    match grant {
        Grant::Implicit => Some(
            "Deprecated. The access token comes back in a URL, so it can leak through redirect-URI flaws, Referer headers and browser history (RFC 9700 §4.1 to §4.3), an attacker can inject a stolen one (§4.6), and nothing binds it to the client. RFC 9700 §2.1.2 says clients SHOULD NOT use it, unless token injection is prevented and those leaks are closed; the OAuth 2.1 draft removes it. Use authorization code with PKCE instead, even in single-page apps.",
        ),
        Grant::Password | Grant::MastodonBot => Some(
            "Deprecated. The app sees and handles the user's password, which teaches users to type passwords into apps and makes multi-factor sign-in hard or impossible. RFC 9700 §2.4: it MUST NOT be used. The OAuth 2.1 draft removes it. Use authorization code with PKCE instead.",
        ),
        _ => None,
    }
}

/// In the Mastodon bot's run: the lines of Mastodon.py that send this
/// step, as the seed's bot has them (`tests/python/mastodon_bot.py` runs
/// the same calls against the lab).
pub fn bot_code(kind: StepKind) -> Option<&'static str> {
    Some(match kind {
        StepKind::Register => {
            "from mastodon import Mastodon\n\nclient_id, client_secret = Mastodon.create_app(\n    \"my bot\", scopes=[\"read\", \"write\"], api_base_url=BASE)"
        }
        StepKind::TokenRequest => {
            "m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)\nm.log_in(\"alice\", \"wonderland\", scopes=[\"read\", \"write\"])"
        }
        StepKind::PostStatus => "m.toot(\"Hello, fediverse! My first toot, from a bot in OAuth2 Lab.\")",
        StepKind::VerifyCredentials => "me = m.account_verify_credentials()",
        StepKind::Revoke => "m.revoke_access_token()",
        _ => return None,
    })
}

pub fn when_to_use(grant: Grant) -> &'static str {
    match grant {
        Grant::AuthorizationCode => "Any app that acts for a user: web apps, single-page apps and native apps.",
        Grant::OpenIdConnect => "An app that signs users in (\"Sign in with ...\") and needs to know who they are, on top of the code grant.",
        Grant::ClientCredentials => "A service that acts for itself, with no user: jobs and machine-to-machine calls.",
        Grant::DeviceCode => "A device short of a keyboard or a browser (a TV, a console, a command-line tool on a server with no browser): the user approves on another screen. A desktop command-line tool opens the browser instead, with authorization code, PKCE and a loopback redirect.",
        Grant::Implicit => "Only to learn from. Use authorization code with PKCE instead.",
        Grant::Password => "Only to learn from. Use authorization code with PKCE instead.",
        Grant::MastodonBot => "The seeds' bot, as Mastodon.py writes it: create an app, the password grant, the first toot. To learn from; a real bot uses the code flow once and keeps its token.",
        Grant::OwnApp => "Your own program, with a client the lab registered for it: whatever it does, recorded as it happens.",
        Grant::OwnProvider => "Your own authorization server, through a client that follows the RFCs: what it answers to each request, recorded as it crossed the wire.",
    }
}

/// Opaque or JWT access tokens: what the switch on a grant's page changes.
pub const JWT_TRADE_OFF: &str = "Opaque tokens are random strings: the resource server must ask the authorization server what one means (introspection, RFC 7662), so revocation takes effect at once, at the price of a call per check. JWT access tokens (RFC 9068) carry their claims (iss, sub, aud, exp, scope, client_id), signed with RS256: the resource server checks them alone with the public key from jwks_uri, with no call, but a revoked JWT keeps working until its exp. Keep them short-lived. With refresh and revoke on, this run shows it: after revocation the API still accepts the token while introspection says inactive.";
