//! Misuse scenarios: real runs in which an attacker (or a careless app)
//! tries something the RFCs forbid, and the servers' defence answers. The
//! request that tries it carries the lab's `x-lab-misuse` header, so the
//! verdict is read from what the server actually answered to it, never
//! written by hand. Shared by the server (which plays them) and the pages.

use super::{Grant, RunRecord, Step};
use serde::{Deserialize, Serialize};

/// Put by the lab on the request that tries the misuse.
pub const MISUSE_HEADER: &str = "x-lab-misuse";
/// The User-Agent of the attacker's own requests: their lane in the diagram.
pub const ATTACKER_AGENT: &str = "oauth2-lab-attacker/0.1 (the attacker, playing mallory)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Scenario {
    CsrfState,
    RedirectUri,
    StolenCode,
    CodeReplay,
    RefreshReuse,
    ExpiredToken,
    InsufficientScope,
    RevokedToken,
    TokenInUrl,
    SecretInUrl,
    IdTokenReplay,
    IdTokenAudience,
    IdTokenAsAccessToken,
    IdTokenTampered,
    IdTokenAlgNone,
}

pub const SCENARIOS: [Scenario; 15] = [
    Scenario::CsrfState,
    Scenario::RedirectUri,
    Scenario::StolenCode,
    Scenario::CodeReplay,
    Scenario::RefreshReuse,
    Scenario::ExpiredToken,
    Scenario::InsufficientScope,
    Scenario::RevokedToken,
    Scenario::TokenInUrl,
    Scenario::SecretInUrl,
    Scenario::IdTokenReplay,
    Scenario::IdTokenAudience,
    Scenario::IdTokenTampered,
    Scenario::IdTokenAlgNone,
    Scenario::IdTokenAsAccessToken,
];

/// The text of a scenario, for its page.
pub struct About {
    pub title: &'static str,
    /// What is tried, and by whom.
    pub attack: &'static str,
    /// What stops it.
    pub defence: &'static str,
    pub rfc: &'static str,
    pub url: &'static str,
    /// What the lab-only vulnerable switch turns off, where it teaches
    /// something.
    pub switch: Option<&'static str>,
}

impl Scenario {
    pub fn slug(self) -> &'static str {
        match self {
            Self::CsrfState => "csrf-state",
            Self::RedirectUri => "redirect-uri",
            Self::StolenCode => "stolen-code",
            Self::CodeReplay => "code-replay",
            Self::RefreshReuse => "refresh-reuse",
            Self::ExpiredToken => "expired-token",
            Self::InsufficientScope => "insufficient-scope",
            Self::RevokedToken => "revoked-token",
            Self::TokenInUrl => "token-in-url",
            Self::SecretInUrl => "secret-in-url",
            Self::IdTokenReplay => "id-token-replay",
            Self::IdTokenAudience => "id-token-audience",
            Self::IdTokenAsAccessToken => "id-token-as-access-token",
            Self::IdTokenTampered => "id-token-tampered",
            Self::IdTokenAlgNone => "id-token-alg-none",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        SCENARIOS.into_iter().find(|x| x.slug() == s)
    }

    /// Whether the run's app is a public client (a native or single-page
    /// app, no secret), the case the attack matters for.
    pub fn public_client(self) -> bool {
        matches!(self, Self::RedirectUri | Self::StolenCode | Self::CodeReplay | Self::RefreshReuse)
    }

    /// The grant the run's app is registered for.
    pub fn grant(self) -> Grant {
        match self {
            Self::SecretInUrl => Grant::ClientCredentials,
            Self::IdTokenReplay
            | Self::IdTokenAudience
            | Self::IdTokenAsAccessToken
            | Self::IdTokenTampered
            | Self::IdTokenAlgNone => Grant::OpenIdConnect,
            _ => Grant::AuthorizationCode,
        }
    }

    /// The ID token check (OpenID Connect Core 1.0 §3.1.3.7) the scenario is
    /// about: the one its vulnerable switch has the app skip.
    pub fn id_token_check(self) -> Option<&'static str> {
        match self {
            Self::IdTokenReplay => Some("nonce"),
            Self::IdTokenAudience => Some("aud"),
            Self::IdTokenTampered | Self::IdTokenAlgNone => Some("signature"),
            _ => None,
        }
    }

    /// Whether the scenario runs the lab clock fast, so that tokens expire
    /// in seconds instead of an hour.
    pub fn has_clock(self) -> bool {
        self == Self::ExpiredToken
    }

    pub fn about(self) -> About {
        match self {
            Self::CsrfState => About {
                title: "A missing or forged state: CSRF on the callback",
                attack: "Mallory gets an authorization code for her own account, then plants the app's callback URL with her code in a page alice visits. Alice's browser delivers it to the app, which would sign alice in to Mallory's account (login CSRF): whatever alice then saves goes to Mallory.",
                defence: "The app sent no state to this browser, so a callback without its state is refused before the code is redeemed. PKCE is a second line, but only where the app sends a verifier: had alice started a sign-in, the app would redeem Mallory's code with alice's verifier, and the server refuses a verifier for a code issued without a challenge (RFC 9700 §4.8.2).",
                rfc: "RFC 6749 §10.12, RFC 9700 §4.7, §4.8.2",
                url: "https://www.rfc-editor.org/rfc/rfc9700#section-4.7",
                switch: Some("The app does not check state, as many older apps do. (PKCE would still catch this had alice started a sign-in: the app would then send her verifier with Mallory's code.)"),
            },
            Self::RedirectUri => About {
                title: "A redirect URI that does not match exactly: the suffix-match hole",
                attack: "Mallory sends alice an authorization link for the real app, but with redirect_uri pointing at her host attacker-<the lab's host>. go-oauth2/oauth2's DefaultValidateURI only checked that the host ends with the registered host (issues 105 and 298), so such a link passed. Mallory started the flow, so she holds the PKCE verifier herself.",
                defence: "The authorization server compares the redirect URI with the registered one exactly, character for character, and shows an error page instead of redirecting: the code never leaves. The one exception is a loopback URI of a native app, which may differ only in its port (RFC 8252 §7.3).",
                rfc: "RFC 6749 §3.1.2.3, RFC 9700 §4.1.3, RFC 8252 §7.3",
                url: "https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3",
                switch: Some("The authorization server accepts any redirect URI whose host ends with the registered host, as go-oauth2/oauth2's DefaultValidateURI did."),
            },
            Self::StolenCode => About {
                title: "A stolen code, redeemed without the PKCE verifier or with a wrong one",
                attack: "A malicious app on alice's phone registered the same redirect URI scheme and receives the code meant for the real app, a public client with no secret. It tries to redeem the code with no code_verifier, then with one it made up.",
                defence: "The code is bound to the PKCE challenge the real app sent. Without the matching verifier the token endpoint answers invalid_grant, and the real app, which holds the verifier, still redeems it.",
                rfc: "RFC 7636 §1, §4.6; RFC 9700 §4.5",
                url: "https://www.rfc-editor.org/rfc/rfc7636#section-4.6",
                switch: Some("The token endpoint skips the PKCE check for this app."),
            },
            Self::CodeReplay => About {
                title: "A code replayed",
                attack: "The real app redeemed its code. Mallory, who found the code and verifier in a log, replays them at the token endpoint.",
                defence: "A code works once. The replay gets invalid_grant, and because a replay means the code leaked, every token issued from that code is revoked: the real app's access token stops working too.",
                rfc: "RFC 6749 §4.1.2, RFC 9700 §4.2.4",
                url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
                switch: Some("The token endpoint lets a code be used again."),
            },
            Self::RefreshReuse => About {
                title: "A refresh token reused after rotation",
                attack: "Mallory stole the app's refresh token. The app refreshes first, which rotates it; then Mallory uses the old one.",
                defence: "Each refresh token works once. Using a spent one means two parties hold it, so the server revokes the whole family: Mallory gets invalid_grant, and the app's newer tokens are revoked as well.",
                rfc: "RFC 9700 §4.14.2, RFC 6749 §6",
                url: "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
                switch: Some("The token endpoint does not detect reuse: a spent refresh token still works."),
            },
            Self::ExpiredToken => About {
                title: "An expired access token, then refresh",
                attack: "The lab clock runs fast (3600 times by default), so the hour-long access token expires in a second. The app keeps using it.",
                defence: "The resource server answers 401 invalid_token and introspection says active: false. The app refreshes and carries on with a new access token.",
                rfc: "RFC 6750 §3.1, RFC 7662 §2.2, RFC 6749 §6",
                url: "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
                switch: None,
            },
            Self::InsufficientScope => About {
                title: "Insufficient scope",
                attack: "On the consent page alice grants read but not write. The app then tries to post a status, which needs write.",
                defence: "The resource server answers 403 insufficient_scope, naming the scope needed in WWW-Authenticate; reading still works.",
                rfc: "RFC 6750 §3.1",
                url: "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
                switch: None,
            },
            Self::RevokedToken => About {
                title: "A revoked token",
                attack: "The app revokes its access token (alice signed out), and the token is then used again.",
                defence: "Revocation takes effect at once: introspection says active: false and the resource server answers 401 invalid_token.",
                rfc: "RFC 7009 §2, RFC 7662 §2.2",
                url: "https://www.rfc-editor.org/rfc/rfc7009#section-2",
                switch: None,
            },
            Self::TokenInUrl => About {
                title: "A token sent in the URL",
                attack: "A single-page app puts the access token in the query string: ?access_token=…",
                defence: "The resource server refuses it with invalid_request: a URL ends up in server and proxy logs and, when a browser navigates to it, in history and Referer headers, so RFC 9700 says access tokens must not be passed in the query, and the OAuth 2.1 draft drops this method. The server accepts tokens in the Authorization header only; the form-body method of RFC 6750 §2.2 is allowed by the RFC, and refusing it too is this server's choice.",
                rfc: "RFC 6750 §2.3, RFC 9700 §4.3.2",
                url: "https://www.rfc-editor.org/rfc/rfc9700#section-4.3.2",
                switch: Some("The resource server accepts ?access_token= in the URL."),
            },
            Self::SecretInUrl => About {
                title: "The tutorial's token request: GET, with the client secret in the URL",
                attack: "The go-oauth2 server tutorial (the lab's first seed) turns on SetAllowGetAccessRequest(true) and asks for a token with GET /token?grant_type=client_credentials&client_id=000000&client_secret=999999&scope=read. The run's service sends the same request, with its own client_id and secret, to the lab's token endpoint.",
                defence: "The token endpoint takes POST only, and a client secret never goes in a URL: the GET is refused with invalid_request and no token, and the service then asks properly, with POST and HTTP Basic. The refusal cannot unsend the URL, though: a secret that has been in one is to be treated as leaked and replaced.",
                rfc: "RFC 6749 §3.2, §2.3.1",
                url: "https://www.rfc-editor.org/rfc/rfc6749#section-3.2",
                switch: Some("The token endpoint answers GET with the parameters in the query, as go-oauth2/oauth2 does with SetAllowGetAccessRequest(true). The secret then works from the URL, and it is kept wherever URLs are kept: the server's access log, every proxy's log and, had a browser sent it, the browser's history. Mallory reads it in a proxy's log and gets tokens of her own."),
            },
            Self::IdTokenReplay => About {
                title: "An ID token replayed into another sign-in (its nonce)",
                attack: "alice signs in to the app with OpenID Connect, and her ID token ends up where Mallory reads it: a log, or the storage of a page that script can reach. Mallory starts a sign-in of her own at the app, which keeps a fresh nonce for her browser, and posts alice's ID token to the app's sign-in endpoint, the one a \"Sign in with\" button's script posts to. The token is genuine: signed by the provider, for this app, not expired.",
                defence: "The app kept the nonce it sent with Mallory's sign-in, and the token carries the nonce of alice's: the nonce check fails and no one is signed in. A nonce ties an ID token to the one sign-in it was issued for, and the app forgets it once used, so a token replayed into any other sign-in is refused.",
                rfc: "OpenID Connect Core 1.0 §3.1.3.7, §15.5.2",
                url: "https://openid.net/specs/openid-connect-core-1_0.html#NonceNotes",
                switch: Some("The app does not compare the nonce, as an app does that sends one and never checks it. Mallory is signed in as alice."),
            },
            Self::IdTokenAudience => About {
                title: "An ID token issued to another client (its aud)",
                attack: "Mallory runs a site of her own, registered at the same provider. She starts a sign-in at the real app, reads the nonce it sends, and uses that nonce in her own site's sign-in request. alice signs in to Mallory's site, whose ID token for alice is genuine, signed by the provider, with the right nonce; Mallory posts it to the real app's sign-in endpoint.",
                defence: "The token's aud is Mallory's client, not the app's: the aud check fails and the app signs no one in. Without it, any site alice ever signed in to could sign in as her at every other app of the same provider.",
                rfc: "OpenID Connect Core 1.0 §3.1.3.7, step 3",
                url: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
                switch: Some("The app checks the signature and the issuer but not the audience, as an app does that takes any ID token the provider signed. Mallory's site signs in to the real app as alice."),
            },
            Self::IdTokenAsAccessToken => About {
                title: "An ID token used as an access token at the API",
                attack: "Mallory holds alice's ID token, from a log or a page's storage: ID tokens pass through front ends and are logged far more often than access tokens. It is a signed JWT from the same provider, so she sends it to the API as a Bearer token.",
                defence: "The resource server refuses it with 401 invalid_token. An ID token tells an app who signed in; it grants nothing. The API takes only JWTs whose typ header is at+jwt and whose aud is the API itself, and an ID token has typ JWT and the app as its aud, so one can never pass for the other.",
                rfc: "RFC 9068 §4, §5; OpenID Connect Core 1.0 §2",
                url: "https://www.rfc-editor.org/rfc/rfc9068#section-4",
                switch: None,
            },
            Self::IdTokenTampered => About {
                title: "A tampered ID token (its signature)",
                attack: "Mallory has alice's ID token and starts a sign-in of her own at the app. To get past the nonce check, she changes the nonce claim in the token to the one the app just sent her, and keeps the provider's signature as it was.",
                defence: "The signature no longer matches the claims: the app checks it against the provider's key from the JWKS and refuses the token. Every other check passes, which shows why the signature comes first: without it, every claim is only what the sender wrote.",
                rfc: "OpenID Connect Core 1.0 §3.1.3.7, step 6; RFC 7515 §5.2",
                url: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
                switch: Some("The app reads the claims without checking the signature, as one does that base64-decodes the payload or calls a JWT library with verification turned off. Mallory is signed in as alice."),
            },
            Self::IdTokenAlgNone => About {
                title: "An ID token with alg none",
                attack: "Mallory takes alice's ID token, sets its nonce to the one the app sent her own sign-in, changes the header to {\"alg\":\"none\"} and drops the signature: an unsecured JWT, which RFC 7519 defines.",
                defence: "The app takes the algorithm from its own list (RS256, from the provider's metadata), never from the token's header, so a token that says none is refused as unsigned. RFC 8725 asks every library to make this choice for the app.",
                rfc: "RFC 8725 §2.1, §3.1; OpenID Connect Core 1.0 §3.1.3.7, step 7",
                url: "https://www.rfc-editor.org/rfc/rfc8725#section-3.1",
                switch: Some("The app believes the token's own alg header and takes none to mean that there is no signature to check. Mallory is signed in as alice."),
            },
        }
    }
}

/// The lab clock speeds a learner may pick: how many seconds pass on the
/// servers' clock for each real second.
pub const CLOCK_SPEEDS: [u64; 3] = [600, 3600, 36_000];
pub const DEFAULT_CLOCK_SPEED: u64 = 3600;

/// Whether the defence held, read from the recorded response to the last
/// request that tried the misuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub held: bool,
    /// The index of that step in the record.
    pub step: usize,
    /// Its status line and error code, as recorded.
    pub answer: String,
}

pub fn is_misuse(step: &Step) -> bool {
    step.exchange.as_ref().is_some_and(|x| x.request.header(MISUSE_HEADER).is_some())
}

pub fn verdict(record: &RunRecord) -> Option<Verdict> {
    record.scenario?;
    let (step, x) = record
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| is_misuse(s))
        .filter_map(|(i, s)| s.exchange.as_ref().map(|x| (i, x)))
        .next_back()?;
    let error = serde_json::from_str::<serde_json::Value>(&x.response.body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string));
    let answer = match error {
        Some(e) => format!("{} {}: {e}", x.response.status, x.response.reason),
        None => format!("{} {}", x.response.status, x.response.reason),
    };
    Some(Verdict { held: x.response.status >= 400, step, answer })
}
