// Peer authorization server for the token benchmark:
// @node-oauth/oauth2-server on express, client_credentials only, in memory.
//
// Start (after ../setup-node-authlib.sh):
//   NODE_ENV=production PORT=9102 node server.js
// Try:
//   curl -s -u bench-client:bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04 \
//        -d grant_type=client_credentials http://127.0.0.1:9102/token
'use strict';

process.env.NODE_ENV ??= 'production';

const crypto = require('node:crypto');
const express = require('express');
const OAuth2Server = require('@node-oauth/oauth2-server');
const { Request, Response } = OAuth2Server;

const CLIENT = {
  id: 'bench-client',
  grants: ['client_credentials'],
  scope: ['read'],
};
const CLIENT_SECRET = Buffer.from('bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04');
const SERVICE_USER = { id: 'bench-client' }; // the client acts for itself
const tokens = new Map(); // accessToken -> token record

function secretMatches(given) {
  const buf = Buffer.from(given ?? '');
  return buf.length === CLIENT_SECRET.length && crypto.timingSafeEqual(buf, CLIENT_SECRET);
}

const model = {
  async getClient(clientId, clientSecret) {
    return clientId === CLIENT.id && secretMatches(clientSecret) ? CLIENT : false;
  },
  async getUserFromClient(client) {
    return SERVICE_USER;
  },
  async validateScope(user, client, scope) {
    if (!scope) return client.scope; // nothing asked for: the client's default
    return scope.every((s) => client.scope.includes(s)) ? scope : false;
  },
  async generateAccessToken() {
    return crypto.randomBytes(32).toString('base64url');
  },
  async saveToken(token, client, user) {
    const saved = { ...token, client, user };
    tokens.set(token.accessToken, saved);
    return saved;
  },
};

const oauth = new OAuth2Server({ model, accessTokenLifetime: 3600 });

const app = express();
app.disable('x-powered-by');
app.set('etag', false); // token responses are no-store: no point hashing them

app.post('/token', express.urlencoded({ extended: false }), async (req, res) => {
  const response = new Response();
  try {
    await oauth.token(new Request(req), response);
  } catch {
    // the library has already put the OAuth error (status, body, headers) on `response`
  }
  res.set(response.headers).status(response.status).json(response.body);
});

const port = Number(process.env.PORT || 9102);
app.listen(port, '127.0.0.1');
