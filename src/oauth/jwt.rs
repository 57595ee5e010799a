//! JWT access tokens (RFC 9068), for the clients `Hooks` says get them: signed
//! with RS256 by a key made when the process starts, published at
//! `/oauth/jwks` and named by `jwks_uri` in the metadata. The resource
//! server checks them itself, from the public key alone; the authorization
//! server still keeps a record of each, for introspection and revocation.

use super::util::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// RFC 9068 §2.1: the `typ` header of a JWT access token.
pub const TYP: &str = "at+jwt";

/// RFC 9068 §2.2: the claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub exp: u64,
    pub aud: String,
    pub sub: String,
    pub client_id: String,
    pub iat: u64,
    pub jti: String,
    pub scope: String,
}

pub struct Signer {
    kid: String,
    encoding: EncodingKey,
    /// Built from the JWKS values, as a resource server would.
    decoding: DecodingKey,
    n: String,
    e: String,
}

static SIGNER: OnceLock<Option<Signer>> = OnceLock::new();

/// The process's signing key: the one `install`ed from the database, or
/// one made on first use. `None` only if the system's random source
/// fails, and then tokens stay opaque.
pub fn signer() -> Option<&'static Signer> {
    SIGNER.get_or_init(|| new_key().and_then(|der| from_der(&der))).as_ref()
}

/// A new 2048-bit RSA key, as PKCS #1 DER.
pub fn new_key() -> Option<Vec<u8>> {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).ok()?;
    Some(key.to_pkcs1_der().ok()?.as_bytes().to_vec())
}

fn from_der(der: &[u8]) -> Option<Signer> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let key = RsaPrivateKey::from_pkcs1_der(der).ok()?;
    let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
    let kid = URL_SAFE_NO_PAD.encode(&sha256(n.as_bytes())[..12]);
    let decoding = DecodingKey::from_rsa_components(&n, &e).ok()?;
    Some(Signer { kid, encoding: EncodingKey::from_rsa_der(der), decoding, n, e })
}

/// Signs with the key `der` (PKCS #1) from now on, the key every lab
/// process on one database shares. False if a key is in use already or
/// `der` is no key.
pub fn install(der: &[u8]) -> bool {
    match from_der(der) {
        Some(signer) => SIGNER.set(Some(signer)).is_ok(),
        None => false,
    }
}

/// The resource server's audience: RFC 9068 §2.2 `aud`.
pub fn audience(public_url: &str) -> String {
    format!("{public_url}/api/v1")
}

impl Signer {
    pub fn sign(&self, claims: &AccessClaims) -> Option<String> {
        self.sign_as(TYP, claims)
    }

    /// Signs `claims` RS256 with this key's `kid` and the `typ` given
    /// (`JWT` for an ID token).
    pub fn sign_as(&self, typ: &str, claims: &impl Serialize) -> Option<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some(typ.to_string());
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &self.encoding).ok()
    }

    /// An ID token this server issued (its signature and `iss`), expired
    /// or not: what an `id_token_hint` must be (RP-Initiated Logout 1.0
    /// §2). Its audience is for the caller to judge.
    pub fn verify_issued<T: serde::de::DeserializeOwned>(&self, token: &str, issuer: &str) -> Result<T, String> {
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[issuer]);
        v.validate_exp = false;
        v.validate_aud = false;
        v.set_required_spec_claims(&["iss", "aud", "sub"]);
        decode::<T>(token, &self.decoding, &v).map(|d| d.claims).map_err(|e| e.to_string())
    }

    /// RFC 9068 §4: the checks a resource server makes, except `exp`, which
    /// the caller judges on the client's clock (`Hooks::now`).
    pub fn verify(&self, token: &str, issuer: &str, audience: &str) -> Result<AccessClaims, String> {
        let header = decode_header(token).map_err(|e| format!("not a JWT ({e})"))?;
        // §4: `at+jwt`, or the full media type `application/at+jwt`.
        let typ = header.typ.as_deref().map(|t| t.to_ascii_lowercase());
        if typ.as_deref().map(|t| t.strip_prefix("application/").unwrap_or(t)) != Some(TYP) {
            return Err(format!("its typ header is not {TYP} (RFC 9068 section 4)"));
        }
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[issuer]);
        v.set_audience(&[audience]);
        v.validate_exp = false;
        v.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        decode::<AccessClaims>(token, &self.decoding, &v).map(|d| d.claims).map_err(|e| e.to_string())
    }

    /// RFC 7517: the public key set.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [{ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e }] })
    }
}
