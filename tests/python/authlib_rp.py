#!/usr/bin/env python3
"""Authlib as an OpenID Connect relying party against a running lab:
discovery, the code flow with PKCE and a nonce, the ID token validated
with Authlib's own checks (signature against the JWKS key, iss, aud, exp,
iat, nonce, at_hash), then UserInfo. Plays the browser itself: shows the
sign-in page and approves as alice.

    authlib_rp.py BASE_URL      prints what it verified as JSON; exits 1 on any failure
"""

import json
import sys
import urllib.parse

import requests
from lab_pages import Hidden
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken



def main(base):
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == base, meta["issuer"]
    redirect_uri = f"{base}/lab/callback"
    client = OAuth2Session(
        "web-app", "web-app-secret", scope="openid profile email", redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    nonce = generate_token(20)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)

    # The browser: the sign-in page, then the approval.
    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    form = Hidden()
    form.feed(page.text)
    decision = [("request_id", form.fields["request_id"]), ("csrf_token", form.fields["csrf_token"]),
                ("decision", "approve"), ("username", "alice"), ("password", "wonderland"),
                ("scope", "openid"), ("scope", "profile"), ("scope", "email")]
    back = browser.post(meta["authorization_endpoint"], data=decision, allow_redirects=False, timeout=10)
    assert back.status_code == 303, back.text
    location = back.headers["location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["state"] == state
    assert query["iss"] == base

    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"], keys, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": "web-app"}},
        claims_params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()  # exp, iat, iss, aud, nonce, at_hash, auth_time

    # A wrong nonce fails the same validation.
    replayed = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                          claims_params={"nonce": "another", "access_token": token["access_token"]})
    try:
        replayed.validate()
        raise AssertionError("an ID token with another nonce was accepted")
    except AssertionError:
        raise
    except Exception:
        pass

    info = client.get(meta["userinfo_endpoint"], timeout=10).json()
    assert info["sub"] == claims["sub"], (info, claims)
    print(json.dumps({"sub": claims["sub"], "aud": claims["aud"], "nonce": claims["nonce"] == nonce,
                      "at_hash": claims["at_hash"], "email": info["email"], "name": info["name"]}))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
