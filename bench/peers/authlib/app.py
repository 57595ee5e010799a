"""Peer authorization server for the token benchmark:
Authlib's Flask AuthorizationServer, client_credentials only, in memory.

Start (after ../setup-node-authlib.sh), from this folder:
    .venv/bin/gunicorn -w 1 -b 127.0.0.1:9103 app:app
or, with gunicorn.conf.py (here) binding 127.0.0.1:$PORT, default 9103:
    PORT=9103 .venv/bin/gunicorn -w 1 app:app
Try:
    curl -s -u bench-client:bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04 \
         -d grant_type=client_credentials http://127.0.0.1:9103/token
"""

import hmac
import secrets

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from flask import Flask

class Client(ClientMixin):
    def __init__(self, client_id, client_secret, grant_types, scope):
        self.client_id = client_id
        self.client_secret = client_secret
        self.grant_types = grant_types
        self.scope = scope

    def get_client_id(self):
        return self.client_id

    def get_allowed_scope(self, scope):
        if not scope:
            return self.scope  # nothing asked for: the client's default
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


CLIENTS = {
    "bench-client": Client(
        "bench-client",
        "bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04",
        ["client_credentials"],
        "read",
    )
}
TOKENS = {}  # access_token -> token record


def save_token(token, request):
    TOKENS[token["access_token"]] = {**token, "client_id": request.client.client_id}


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # Authlib's default is Basic only; the node peer also takes the secret in the body
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


app = Flask(__name__)
app.config.update(
    OAUTH2_SCOPES_SUPPORTED=["read"],  # an unknown scope is invalid_scope
    OAUTH2_TOKEN_EXPIRES_IN={"client_credentials": 3600},  # Authlib's default: 864000
    OAUTH2_ACCESS_TOKEN_GENERATOR=lambda **kw: secrets.token_urlsafe(32),
)
server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)
server.register_grant(ClientCredentialsGrant)


@app.post("/token")
def issue_token():
    return server.create_token_response()
