#!/usr/bin/env python3
"""Soak: mixed valid and malformed traffic against a release build for a
bounded time (default 5 minutes, at most 10), with oha. Reports every
status code (no 5xx allowed; 503 only if a cap is reached) and RSS over
time, which must be flat once the short TTLs used here have turned over.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import RESULTS, Server, lab_argv, oha_env, rss_bytes  # noqa: E402

# State turns over within a minute, so the steady state comes early.
TTLS = ["--access-token-ttl", "30s", "--refresh-token-ttl", "60s", "--client-ttl", "60s",
        "--pending-ttl", "30s", "--run-ttl", "60s"]
WARMUP_S = 120
BASIC = "c2VydmljZTpzZXJ2aWNlLXNlY3JldA=="  # service:service-secret
FORM = "application/x-www-form-urlencoded"
CB = "http%3A%2F%2F127.0.0.1%3A{port}%2Flab%2Fcallback"
CHALLENGE = "Hz1rPqLHVTnkH0vRuuLe2Xc1EEAh5LPpo7P0Q9yh5VQ"

# name, requests per second, method, path, content type, body, extra headers
MIX = [
    ("token, valid", 300, "POST", "/oauth/token", FORM, "grant_type=client_credentials",
     [f"Authorization: Basic {BASIC}"]),
    ("token, malformed body", 100, "POST", "/oauth/token", FORM, "grant_type=%ZZ&&scope=%00&code=&&=",
     [f"Authorization: Basic {BASIC}"]),
    ("token, garbage Basic", 50, "POST", "/oauth/token", FORM, "grant_type=client_credentials",
     ["Authorization: Basic !!!not-base64"]),
    ("token, wrong content type", 50, "POST", "/oauth/token", "application/json", '{"grant_type":1}',
     [f"Authorization: Basic {BASIC}"]),
    ("API, bogus bearer", 100, "GET", "/api/v1/accounts/verify_credentials", None, None,
     ["Authorization: Bearer at_nope"]),
    ("authorize, valid", 50, "GET",
     f"/oauth/authorize?response_type=code&client_id=web-app&redirect_uri={CB}&state=s"
     f"&code_challenge={CHALLENGE}&code_challenge_method=S256", None, None, []),
    ("authorize, malformed", 50, "GET", "/oauth/authorize?response_type=%FF&client_id=&redirect_uri=javascript:x",
     None, None, []),
    ("register, valid", 20, "POST", "/oauth/register", "application/json",
     '{"client_name":"soak","redirect_uris":["https://soak.example/cb"]}', []),
    ("register, malformed JSON", 20, "POST", "/oauth/register", "application/json",
     '{"client_name": [1,2,{"redirect_uris": "', []),
    ("runs, autoplay", 10, "POST", "/lab/fn/start_run", FORM,
     "grant=AuthorizationCode&mode=Autoplay&lifecycle=true", []),
    ("metadata", 50, "GET", "/.well-known/oauth-authorization-server", None, None, []),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=300)
    args = p.parse_args()
    seconds = min(args.seconds, 600)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "soak.log"
    server = Server("oauth2-lab", lab_argv("--rate-per-minute", "0", *TTLS), "/", None, log=log)
    server.start()
    procs = []
    samples = []
    try:
        for name, rate, method, path, ctype, body, headers in MIX:
            url = f"http://127.0.0.1:{server.port}{path.replace('{port}', str(server.port))}"
            argv = ["taskset", "-c", "1", "oha", "--no-tui", "--output-format", "json", "--disable-compression",
                    "--worker-threads", "1", "-z", f"{seconds}s", "-w", "-c", "2", "-q", str(rate), "-m", method]
            if ctype:
                argv += ["-T", ctype]
            if body is not None:
                argv += ["-d", body]
            for h in headers:
                argv += ["-H", h]
            procs.append((name, subprocess.Popen(argv + [url], stdout=subprocess.PIPE, text=True, env=oha_env())))
        start = time.time()
        while any(pr.poll() is None for _, pr in procs):
            samples.append((round(time.time() - start), rss_bytes(server.proc.pid)))
            time.sleep(5)
        alive = server.proc.poll() is None
    finally:
        server.stop()
    rows, five_xx = [], 0
    for name, pr in procs:
        out = json.loads(pr.stdout.read())
        codes = out.get("statusCodeDistribution", {})
        fives = sum(n for c, n in codes.items() if c.startswith("5"))
        five_xx += fives
        rows.append((name, sum(codes.values()), codes, out.get("errorDistribution", {}), fives))
    panics = log.read_text(errors="replace").count("panicked")
    warm = [r for t, r in samples if t >= WARMUP_S] or [r for _, r in samples]
    first, last, peak = warm[0] / 1e6, warm[-1] / 1e6, max(warm) / 1e6
    lines = [
        "# Soak",
        "",
        f"`bench/soak.sh`: {seconds} s of mixed valid and malformed traffic, {sum(m[1] for m in MIX)} requests/s "
        f"from {len(MIX)} oha processes on core 1, against a release build on core 0 with rate limits off and "
        f"short TTLs ({' '.join(TTLS)}).",
        "",
        "| traffic | requests | statuses | transport errors | 5xx |",
        "|---|---:|---|---|---:|",
    ]
    for name, n, codes, errs, fives in rows:
        lines.append(f"| {name} | {n} | {codes} | {errs or ''} | {fives} |")
    lines += [
        "",
        f"5xx in all: **{five_xx}**. Panics in the server's log: **{panics}**. Server alive at the end: **{alive}**.",
        "",
        f"RSS after the {WARMUP_S} s warm-up: {first:.1f} MB at first, {last:.1f} MB at the end, "
        f"{peak:.1f} MB at most ({(last - first) / first * 100:+.1f} % from first to last).",
        "",
        "RSS every 5 s (s: MB): " + ", ".join(f"{t}: {r / 1e6:.0f}" for t, r in samples),
        "",
    ]
    text = "\n".join(lines)
    (RESULTS / "soak.md").write_text(text)
    print(text)
    return 1 if five_xx or panics or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
