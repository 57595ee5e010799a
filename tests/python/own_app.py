#!/usr/bin/env python3
"""A learner's own programs, written with libraries from PyPI, unmodified,
against the client the lab's "your own app" page registered for them.

    own_app.py oauthlib BASE CLIENT_ID CLIENT_SECRET REDIRECT_URI
        requests-oauthlib's OAuth2Session: the code grant as its README
        writes it (state, no PKCE), the user's sign-in as a browser does it,
        the token with HTTP Basic, then API calls: one its scope covers,
        one it does not, and one with the token in the query.
    own_app.py mastodon BASE CLIENT_ID CLIENT_SECRET
        Mastodon.py, the seeds' bot with the client the lab made: the
        password grant, a toot, verify_credentials, revocation.

Prints what it saw as JSON; exits 1 on any failure.
"""

import json
import os
import sys

import requests
from lab_pages import approve


def oauthlib(base, client_id, client_secret, redirect_uri):
    # The lab serves http on loopback; oauthlib insists on https otherwise.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    from requests_oauthlib import OAuth2Session

    app = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=["read"])
    url, state = app.authorization_url(base + "/oauth/authorize")
    # The user, in a browser: the sign-in page, then the approval.
    back = approve(url, "alice", "wonderland", ["read"])
    assert back.status_code in (302, 303), back.text
    token = app.fetch_token(base + "/oauth/token", client_secret=client_secret,
                            authorization_response=back.headers["location"])
    me = app.get(base + "/api/v1/accounts/verify_credentials", timeout=10)
    toot = app.post(base + "/api/v1/statuses", data={"status": "not granted"}, timeout=10)
    in_query = requests.get(base + "/api/v1/accounts/verify_credentials",
                            params={"access_token": token["access_token"]}, timeout=10)
    return {"state": state, "scope": token.get("scope"), "username": me.json().get("username"),
            "toot_status": toot.status_code, "query_status": in_query.status_code}


def mastodon(base, client_id, client_secret):
    from mastodon import Mastodon

    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    m.log_in("alice", "wonderland", scopes=["read", "write"], allow_http=True)
    toot = m.toot("Hello from my own bot")
    me = m.account_verify_credentials()
    m.revoke_access_token(allow_http=True)
    return {"content": toot["content"], "username": me["username"]}


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"oauthlib": oauthlib, "mastodon": mastodon}[kind](*args)))
