# Read by gunicorn when started from this folder (see app.py for the command).
# Bind loopback only, port from $PORT (default 9103); gunicorn's own $PORT
# handling would bind 0.0.0.0. One sync worker; no access log (the default).
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '9103')}"
workers = 1
loglevel = "warning"
