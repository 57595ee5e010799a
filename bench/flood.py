#!/usr/bin/env python3
"""Flood: 100,000 registrations, authorization requests and runs, each sent
within a minute from one address, while a probe on another address keeps
using the lab. Reports the status codes the flood got (429 and 503 expected,
never another 5xx), what the probe saw, and RSS over time against the
configured memory ceiling.

Two passes: with the default per-address rate limits, and with them off
(--rate-per-minute 0), where only the stores' caps and the memory ceiling
stand between the flood and the machine.
"""

import argparse
import http.client
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import RESULTS, Server, lab_argv, oha_env, rss_bytes  # noqa: E402

import subprocess  # noqa: E402

CEILING_MIB = 512
VERIFIER = "flood-verifier-0123456789-0123456789-0123456789"
CHALLENGE = "Hz1rPqLHVTnkH0vRuuLe2Xc1EEAh5LPpo7P0Q9yh5VQ"  # not checked: the flood never redeems


class Probe(threading.Thread):
    """Another client machine (127.0.0.2): metadata, a client_credentials
    token and, once a second, a registration."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop = port, threading.Event()
        self.results = []  # (what, status, seconds)

    def call(self, what, method, path, body=None, headers=None):
        start = time.time()
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=("127.0.0.2", 0))
            c.request(method, path, body=body, headers=headers or {})
            status = c.getresponse().status
            c.close()
        except OSError as e:
            status = f"error: {e}"
        self.results.append((what, status, time.time() - start))

    def run(self):
        tick = 0
        while not self.stop.is_set():
            self.call("metadata", "GET", "/.well-known/oauth-authorization-server")
            self.call("token", "POST", "/oauth/token", "grant_type=client_credentials",
                      {"Authorization": "Basic c2VydmljZTpzZXJ2aWNlLXNlY3JldA==",
                       "Content-Type": "application/x-www-form-urlencoded"})
            if tick % 5 == 0:
                self.call("register", "POST", "/oauth/register",
                          json.dumps({"client_name": "probe", "redirect_uris": ["https://probe.example/cb"]}),
                          {"Content-Type": "application/json"})
            tick += 1
            time.sleep(0.2)

    def summary(self):
        out = {}
        for what, status, secs in self.results:
            o = out.setdefault(what, {"n": 0, "ok": 0, "statuses": {}, "worst_ms": 0.0})
            o["n"] += 1
            o["ok"] += status in (200, 201)
            o["statuses"][str(status)] = o["statuses"].get(str(status), 0) + 1
            o["worst_ms"] = max(o["worst_ms"], secs * 1000)
        return out


FLOODS = {
    "registrations": ("POST", "/oauth/register", "application/json",
                      json.dumps({"client_name": "flood", "redirect_uris": ["https://flood.example/cb"]})),
    "authorizations": ("GET", "/oauth/authorize?response_type=code&client_id=web-app&state=s"
                              "&redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Flab%2Fcallback"
                              f"&code_challenge={CHALLENGE}&code_challenge_method=S256", None, None),
    "runs": ("POST", "/lab/fn/start_run", "application/x-www-form-urlencoded",
             "grant=AuthorizationCode&mode=Autoplay&lifecycle=false"),
}


def flood(server, kind, total, seconds):
    method, path, ctype, body = FLOODS[kind]
    url = f"http://127.0.0.1:{server.port}{path.replace('{port}', str(server.port))}"
    argv = ["taskset", "-c", "1", "oha", "--no-tui", "--output-format", "json", "--disable-compression",
            "-n", str(total), "-c", "32", "-q", str(total // seconds), "-m", method, url]
    if ctype:
        argv += ["-T", ctype, "-d", body]
    samples = []
    probe = Probe(server.port)
    probe.start()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=oha_env())
    start = time.time()
    while proc.poll() is None:
        samples.append((round(time.time() - start, 1), rss_bytes(server.proc.pid)))
        time.sleep(1)
    out = json.loads(proc.stdout.read())
    probe.stop.set()
    probe.join()
    return {
        "kind": kind,
        "sent": total,
        "seconds": round(time.time() - start, 1),
        "statuses": out.get("statusCodeDistribution", {}),
        "errors": out.get("errorDistribution", {}),
        "max_rss_mb": max(r for _, r in samples) / 1e6 if samples else 0,
        "rss_mb": [(t, round(r / 1e6, 1)) for t, r in samples],
        "probe": probe.summary(),
    }


def one_pass(label, extra, total, seconds):
    log = RESULTS / f"flood-{'limits' if not extra else 'nolimits'}.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    server = Server("oauth2-lab", lab_argv("--memory-ceiling-mib", str(CEILING_MIB), *extra), "/", None, log=log)
    results = []
    server.start()
    try:
        for kind in FLOODS:
            r = flood(server, kind, total, seconds)
            print(f"  {label}, {kind}: {r['statuses']} in {r['seconds']} s, max RSS {r['max_rss_mb']:.0f} MB, "
                  f"probe {json.dumps({k: v['statuses'] for k, v in r['probe'].items()})}", flush=True)
            results.append(r)
        alive = server.proc.poll() is None
    finally:
        server.stop()
    panics = log.read_text(errors="replace").count("panicked")
    return {"label": label, "results": results, "alive": alive, "panics": panics}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--seconds", type=int, default=60)
    args = p.parse_args()
    passes = [
        one_pass("rate limits on (defaults)", [], args.requests, args.seconds),
        one_pass("rate limits off", ["--rate-per-minute", "0"], args.requests, args.seconds),
    ]
    lines = [
        "# Flood",
        "",
        f"`bench/flood.sh`: {args.requests:,} requests of each kind from 127.0.0.1 at up to "
        f"{args.requests // args.seconds:,}/s (oha, 32 connections), while a probe on 127.0.0.2 asks for "
        f"metadata and a token five times a second and registers once a second. Memory ceiling "
        f"{CEILING_MIB} MiB (`--memory-ceiling-mib`).",
        "",
        "| pass | flood | flood's statuses | 5xx other than 503 | max RSS MB | probe: ok / sent | probe worst ms |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    bad = 0
    for ps in passes:
        for r in ps["results"]:
            five = sum(n for code, n in r["statuses"].items() if code.startswith("5") and code != "503")
            bad += five
            probe_ok = sum(v["ok"] for v in r["probe"].values())
            probe_n = sum(v["n"] for v in r["probe"].values())
            worst = max((v["worst_ms"] for v in r["probe"].values()), default=0)
            lines.append(f"| {ps['label']} | {r['kind']} | {r['statuses']} | {five} | {r['max_rss_mb']:.0f} | "
                         f"{probe_ok} / {probe_n} | {worst:.0f} |")
        if not ps["alive"] or ps["panics"]:
            bad += 1
            lines.append(f"| {ps['label']} | the server died or panicked ({ps['panics']} panics logged) | | | | | |")
    lines += ["", "Panics in the server's log: " + ", ".join(f"{ps['label']}: {ps['panics']}" for ps in passes) + "."]
    lines += ["", "Probe detail per pass and flood is in bench/results/flood.json.", ""]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "flood.md").write_text(text)
    (RESULTS / "flood.json").write_text(json.dumps(passes, indent=2))
    print(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
