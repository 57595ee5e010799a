#!/usr/bin/env python3
"""The seed's Mastodon bot, written with Mastodon.py from PyPI, unmodified,
against a running lab as against any Mastodon instance: create an app, get
a token with the password grant, toot, read it back, verify credentials,
delete the toot, revoke the token. Then the code flow a Mastodon app uses:
the authorization URL, the user's sign-in, the out-of-band code, the token.

    mastodon_bot.py BASE_URL    prints what it saw as JSON; exits 1 on any failure
"""

import json
import re
import sys

from lab_pages import approve
from mastodon import Mastodon, MastodonAPIError, MastodonUnauthorizedError



def bot(base):
    # 1. Create an app: a client id and secret.
    client_id, client_secret = Mastodon.create_app(
        "oauth2-lab seed bot", scopes=["read", "write"], website="https://example.org/bot", api_base_url=base)
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    instance = m.instance()
    # 2. A token from the client id, the secret and the user's password.
    m.log_in("alice", "wonderland", scopes=["read", "write"], allow_http=True)
    # 3. The first toot, and what the API says of it.
    toot = m.toot("Hello, fediverse! My first toot, from a bot in OAuth2 Lab <3")
    again = m.status(toot["id"])
    me = m.account_verify_credentials()
    home = m.timeline_home()
    app = m.app_verify_credentials()
    deleted = m.status_delete(toot["id"])
    m.revoke_access_token(allow_http=True)
    try:
        m.account_verify_credentials()
        revoked = False
    except MastodonUnauthorizedError:
        revoked = True
    return {
        "client_id": client_id, "client_secret": client_secret, "instance_version": instance["version"], "toot_id": toot["id"],
        "content": toot["content"], "again": again["content"], "username": me["username"],
        "on_home": any(s["id"] == toot["id"] for s in home), "app_name": app["name"], "app_website": app["website"],
        "deleted_text": deleted["text"], "revoked": revoked,
    }


def code_flow(base):
    """A Mastodon app's sign-in: granular scopes, the out-of-band redirect."""
    scopes = ["read:accounts", "write:statuses"]
    client_id, client_secret = Mastodon.create_app("oauth2-lab code app", scopes=scopes, api_base_url=base)
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    url = m.auth_request_url(scopes=scopes, allow_http=True)
    # The user, in a browser: the sign-in page, then the approval.
    shown = approve(url, "bob", "builder", scopes)
    assert shown.status_code == 200, shown.text
    code = re.search(r'id="authorization-code"[^>]*>([^<]+)<', shown.text).group(1)
    m.log_in(code=code, scopes=scopes, allow_http=True)
    me = m.account_verify_credentials()
    toot = m.toot("Signed in with the code flow")
    try:
        m.timeline_home()
        refused = None
    except MastodonAPIError as e:
        refused = str(e)
    return {"username": me["username"], "toot": toot["content"], "timeline_refused": refused}


if __name__ == "__main__":
    base = sys.argv[1].rstrip("/")
    print(json.dumps({"bot": bot(base), "code": code_flow(base)}))
