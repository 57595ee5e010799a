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
    match step.kind {
        Register | ClientStart | AuthorizeRequest | UserSignsIn | Consent | Callback | TypesPassword | PasswordForm
        | ServiceStart => getting_a_grant(step.kind, grant),
        _ => using_it(step.kind, grant),
    }
}

/// The steps up to the grant: registration, the user's part, the
/// authorization response. A table of text, one arm per step kind, so it
/// is as long as the texts are.
fn getting_a_grant(kind: StepKind, grant: Grant) -> Narration {
    use StepKind::*;
    match kind {
        Register => n(
            "Before any grant, the app registers with the authorization server, as a Mastodon app does with \"create app\". It sends its redirect URIs, grant types and scope, and gets back a client_id (and a client_secret if it can keep one).",
            "RFC 7591 §3",
            "https://www.rfc-editor.org/rfc/rfc7591#section-3",
        ),
        ClientStart => match grant {
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
            _ => n(
                "The user asks the app to sign in. The app answers with a redirect that sends the browser to the authorization server, carrying client_id, redirect_uri, scope, state and (for the code grant) the PKCE code_challenge.",
                "RFC 6749 §4.1.1",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1",
            ),
        },
        AuthorizeRequest => n(
            "The browser follows the redirect to the authorization endpoint. The server checks the client and the exact redirect URI, then shows its own sign-in and consent page: the app never sees the password.",
            "RFC 6749 §3.1",
            "https://www.rfc-editor.org/rfc/rfc6749#section-3.1",
        ),
        UserSignsIn => n(
            "The resource owner types their username and password into the authorization server's page and decides which scopes to grant. This happens in the browser, not on the network.",
            "RFC 6749 §4.1.1",
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1",
        ),
        Consent => match grant {
            Grant::Implicit => n(
                "The form goes to the authorization server, which answers 303 See Other to the redirect URI with the access token in the URL fragment. Browsers never send a fragment to servers, so only browser code can read it.",
                "RFC 6749 §4.2.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.2",
            ),
            _ => n(
                "The form goes to the authorization server, which answers 303 See Other to the redirect URI with a one-time code and the state. 303 makes the browser follow with GET, so the password is not posted again.",
                "RFC 6749 §4.1.2, RFC 9700 §4.12",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
            ),
        },
        Callback => match grant {
            Grant::Implicit => n(
                "The browser loads the redirect URI. Look at the request: no token in it. The fragment stayed in the browser, so the client's server never receives the access token; only the page's script can.",
                "RFC 6749 §4.2.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.2.2",
            ),
            _ => n(
                "The browser brings the code and state to the app's redirect URI. The app checks that state is the one it sent, to this same browser: the cookie it set when the login began must come back with the callback. A callback planted in another browser (CSRF) fails that check. Then it redeems the code on the back channel before it answers the browser.",
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
            "The browser posts the password to the app. Look at the body: the client now holds the user's credentials in the clear. OAuth 2.1 and RFC 9700 drop this grant; use authorization code with PKCE instead.",
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
            Grant::Password => n(
                "The app sends the user's username and password to the token endpoint with grant_type=password, authenticating with its own client credentials, and gets an access token and a refresh token.",
                "RFC 6749 §4.3.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2",
            ),
            Grant::ClientCredentials => n(
                "The service authenticates with its client_id and client_secret (HTTP Basic) and asks for a token for itself. No refresh token comes back: it can simply ask again.",
                "RFC 6749 §4.4.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2",
            ),
            _ => n(
                "On the back channel, the app redeems the code with its client credentials and the PKCE code_verifier. The server checks SHA-256(verifier) against the challenge from the first redirect, so a stolen code is useless without the verifier.",
                "RFC 6749 §4.1.3, RFC 7636 §4.5",
                "https://www.rfc-editor.org/rfc/rfc7636#section-4.5",
            ),
        },
        ReadsFragment => n(
            "Script in the page reads the access token from location.hash. Any script on that page, including a malicious one, could read it too; that, and tokens leaking through history, is why RFC 9700 and OAuth 2.1 drop the implicit grant.",
            "RFC 9700 §2.1.2",
            "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
        ),
        VerifyCredentials => n(
            "The token is used: GET verify_credentials with Authorization: Bearer. The resource server checks the token and its read scope and answers with the account it stands for.",
            "RFC 6750 §2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
        ),
        PostStatus => n(
            "The same token posts a status, which needs the write scope. Without it the resource server would answer 403 insufficient_scope.",
            "RFC 6750 §3.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
        ),
        Refresh => n(
            "The app trades its refresh token for a new access token without the user. The refresh token rotates: the old one is now spent, and using it again would revoke the whole family.",
            "RFC 6749 §6, RFC 9700 §4.14.2",
            "https://www.rfc-editor.org/rfc/rfc6749#section-6",
        ),
        Revoke => n(
            "The app revokes its refresh token when it is done, which also revokes the access tokens issued with it. The server answers 200 whatever the token was.",
            "RFC 7009 §2",
            "https://www.rfc-editor.org/rfc/rfc7009#section-2",
        ),
        Introspect => n(
            "Introspection asks the authorization server whether a token is active and what it grants.",
            "RFC 7662 §2",
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

pub fn channel_note(channel: Channel) -> &'static str {
    match channel {
        Channel::Front => {
            "Front channel: through the browser, where the user, browser extensions and history can see it."
        }
        Channel::Back => "Back channel: server to server, never through the browser.",
        Channel::Local => "Not a network message: something a person or a page's script does.",
    }
}

pub fn deprecation(grant: Grant) -> Option<&'static str> {
    match grant {
        Grant::Implicit => Some(
            "Deprecated. The access token travels in the URL fragment and is read by browser code, so it can leak through history, referrers and injected scripts, and it cannot be bound to the client. RFC 9700 §2.1.2 says not to use it and OAuth 2.1 removes it. Use authorization code with PKCE instead, even in single-page apps.",
        ),
        Grant::Password => Some(
            "Deprecated. The app sees and handles the user's password, which teaches users to type passwords into apps and rules out multi-factor sign-in. RFC 9700 §2.4 says it MUST NOT be used and OAuth 2.1 removes it. Use authorization code with PKCE instead.",
        ),
        _ => None,
    }
}

pub fn when_to_use(grant: Grant) -> &'static str {
    match grant {
        Grant::AuthorizationCode => "Any app that acts for a user: web apps, single-page apps and native apps.",
        Grant::ClientCredentials => "A service that acts for itself, with no user: jobs and machine-to-machine calls.",
        Grant::DeviceCode => "A device short of a keyboard or a browser (a TV, a console, a command-line tool): the user approves on another screen.",
        Grant::Implicit => "Only to learn from. Use authorization code with PKCE instead.",
        Grant::Password => "Only to learn from. Use authorization code with PKCE instead.",
    }
}

/// Opaque or JWT access tokens: what the switch on a grant's page changes.
pub const JWT_TRADE_OFF: &str = "Opaque tokens are random strings: the resource server must ask the authorization server what one means (introspection, RFC 7662), so revocation takes effect at once, at the price of a call per check. JWT access tokens (RFC 9068) carry their claims (iss, sub, aud, exp, scope, client_id), signed with RS256: the resource server checks them alone with the public key from jwks_uri, with no call, but a revoked JWT keeps working until its exp. Keep them short-lived. With refresh and revoke on, this run shows it: after revocation the API still accepts the token while introspection says inactive.";
