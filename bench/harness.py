#!/usr/bin/env python3
"""The OAuth2 Lab benchmark harness: the lab's token endpoint against three
peer authorization servers and a bare-axum floor, complete autoplay runs,
and memory per stored run. Started by bench/run.sh (make bench), which
builds and installs everything first.

Each server runs pinned to core 0 (Rust servers with one tokio worker); the
load generator, oha, runs pinned to core 1 with one worker thread. Rounds
are interleaved and the median round is reported, because a shared VM
drifts from one minute to the next.

The lab runs as `make run` runs it: its default log level, its output to a
log file, and its own state in memory, in a new SQLite file, or in a new
PostgreSQL database (LAB_BENCH_POSTGRES, a server URL whose user may
create databases; bench/run.sh starts one with scripts/postgres.sh).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04"
FORM = "application/x-www-form-urlencoded"

# Token-endpoint targets (docs/PERFORMANCE.md).
TARGET_VS_OXIDE = 1.2
TARGET_VS_FLOOR = 0.7
TARGET_SQLITE_RPS = 10_000
TARGET_P99_MS = 1.0
TARGET_RUN_MS = 20.0
TARGET_1000_RUNS_MB = 200.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds}s")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    """User + system CPU time of a process and all its descendants (gunicorn's
    worker included), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += procs.get(p, (0, 0.0))[1]
        todo += [c for c, (ppid, _) in procs.items() if ppid == p]
    return total


class Server:
    """One server process pinned to core 0."""

    def __init__(self, name, argv, path, auth, cwd=ROOT, env=None, rust=True, log=None):
        self.name, self.argv, self.path, self.auth = name, argv, path, auth
        self.cwd, self.extra_env, self.rust, self.log = cwd, env or {}, rust, log
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        env = dict(os.environ)
        env.update({k: v.replace("{port}", str(self.port)) for k, v in self.extra_env.items()})
        env["PORT"] = str(self.port)
        if self.rust:
            env["TOKIO_WORKER_THREADS"] = "1"
        argv = ["taskset", "-c", "0"] + [a.replace("{port}", str(self.port)) for a in self.argv]
        out = open(self.log, "w") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, cwd=self.cwd, env=env, stdout=out, stderr=out)
        wait_for(self.port, self.proc)
        return self

    def url(self):
        return f"http://127.0.0.1:{self.port}{self.path}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def oha(url, *, seconds=None, requests=None, conns=16, auth=None, body="grant_type=client_credentials"):
    argv = ["taskset", "-c", "1", "oha", "--no-tui", "--output-format", "json", "--disable-compression",
            "--worker-threads", "1", "-c", str(conns), "-m", "POST", "-T", FORM, "-d", body]
    argv += ["-z", f"{seconds}s", "-w"] if seconds else ["-n", str(requests)]
    if auth:
        argv += ["-a", auth]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True, env=oha_env())
    d = json.loads(out.stdout)
    codes = d.get("statusCodeDistribution", {})
    ok = codes.get("200", 0)
    total = d["summary"]["total"]
    return {
        "rps": ok / total if total else 0.0,
        "p50_ms": d["latencyPercentiles"]["p50"] * 1000,
        "p99_ms": d["latencyPercentiles"]["p99"] * 1000,
        "codes": codes,
        "errors": d.get("errorDistribution", {}),
    }


def oha_env():
    env = dict(os.environ)
    env.pop("TOKIO_WORKER_THREADS", None)  # oha reads it for its own runtime
    return env


def lab_argv(*extra, database="memory"):
    return [str(ROOT / "target" / "release" / "oauth2-lab"), "--addr", "127.0.0.1:{port}", "--database", database, *extra]


SCRATCH = Path(os.environ.get("TMPDIR", "/tmp")) / f"oauth2-lab-bench-{os.getpid()}"
_databases = [0]


def new_database(backend):
    """A new, empty database for one start of the lab: `memory`, a new
    SQLite file, or a new PostgreSQL database."""
    _databases[0] += 1
    n = _databases[0]
    if backend == "memory":
        return "memory"
    if backend == "sqlite":
        SCRATCH.mkdir(parents=True, exist_ok=True)
        return f"sqlite:{SCRATCH / f'lab-{n}.db'}"
    server = os.environ["LAB_BENCH_POSTGRES"]
    name = f"lab_bench_{os.getpid()}_{n}"
    subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server.rsplit("/", 1)[0] + "/" + name


def backends():
    return ["memory", "sqlite"] + (["postgres"] if os.environ.get("LAB_BENCH_POSTGRES") else [])


class Lab(Server):
    """The lab, on a new database of `backend` at each start."""

    def __init__(self, backend, extra, path, auth):
        name = "oauth2-lab" if backend == "memory" else f"oauth2-lab ({backend})"
        super().__init__(name, [], path, auth, log=str(SCRATCH / f"{backend}.log"))
        self.backend, self.extra = backend, extra

    def start(self):
        SCRATCH.mkdir(parents=True, exist_ok=True)
        self.database = new_database(self.backend)
        self.argv = lab_argv(*self.extra, database=self.database)
        return super().start()


def token_servers():
    basic = f"bench-client:{SECRET}"
    labs = [Lab(b, [], "/oauth/token", "service:service-secret") for b in backends()]
    return [
        *labs,
        Server("oxide-auth", [str(PEERS / "target" / "release" / "oxide")], "/token", basic),
        Server("node-oauth2-server", ["node", "server.js"], "/token", basic, cwd=PEERS / "node",
               env={"NODE_ENV": "production"}, rust=False),
        Server("Authlib (gunicorn -w 1)", [str(PEERS / "authlib" / ".venv" / "bin" / "gunicorn"), "-w", "1",
                                           "-b", "127.0.0.1:{port}", "app:app"],
               "/token", basic, cwd=PEERS / "authlib", rust=False),
        Server("floor (bare axum)", [str(PEERS / "target" / "release" / "floor")], "/token", basic),
    ]


def bench_tokens(rounds, seconds, only=None):
    results = {}
    servers = [s for s in token_servers() if only is None or s.name in only]
    for r in range(rounds):
        for s in servers:
            s.start()
            try:
                oha(s.url(), seconds=1, auth=s.auth)  # warm-up
                cpu0 = cpu_seconds(s.proc.pid)
                res = oha(s.url(), seconds=seconds, auth=s.auth)
                # Server CPU per answered request: steadier than req/s on a
                # shared VM, since it does not count time the server waited.
                ok = res["codes"].get("200", 0)
                res["cpu_us"] = (cpu_seconds(s.proc.pid) - cpu0) / ok * 1e6 if ok else float("nan")
            finally:
                s.stop()
            results.setdefault(s.name, []).append(res)
            print(f"  round {r + 1} {s.name}: {res['rps']:.0f} req/s, p50 {res['p50_ms']:.3f} ms, "
                  f"p99 {res['p99_ms']:.3f} ms, {res['cpu_us']:.1f} µs CPU/req, {res['codes']}", flush=True)
    summary = {}
    for name, rs in results.items():
        med = sorted(rs, key=lambda x: x["rps"])[len(rs) // 2]
        cpu = sorted(x["cpu_us"] for x in rs)[len(rs) // 2]
        summary[name] = {**med, "all_rps": [round(x["rps"]) for x in rs], "cpu_us_median": cpu}
    if "oauth2-lab" in results:
        for name, r in summary.items():
            if name != "oauth2-lab":
                r["paired_vs_lab"] = paired(results["oauth2-lab"], results[name])
    return summary


def paired(lab_rounds, other_rounds):
    """The lab's req/s over another server's, round by round, and their
    median. Each round runs the two a few seconds apart, so a ratio within
    one round leaves out most of the VM's drift between rounds, which the
    two servers' medians, taken apart, keep."""
    ratios = [a["rps"] / b["rps"] for a, b in zip(lab_rounds, other_rounds) if b["rps"]]
    return {"rounds": [round(x, 2) for x in ratios], "median": statistics.median(ratios) if ratios else float("nan")}


def start_run_body(lifecycle):
    return f"grant=AuthorizationCode&mode=Autoplay&lifecycle={'true' if lifecycle else 'false'}"


LAB_TABLES = ["runs", "classes", "clients", "codes", "tokens", "revoked_families", "pending", "devices",
              "processes", "signing_keys"]


def stored_bytes(backend, runs=80):
    """`runs` complete runs on a new database (fewer than one address may
    keep, so none is crowded out), then the runs stored, their records'
    bytes, and what the database takes for them, every table of the lab
    included (SQLite: the file and its WAL; PostgreSQL: the lab's tables
    with their indexes and TOAST)."""
    lab = Lab(backend, ["--rate-per-minute", "0", "--memory-ceiling-mib", "0"], "/lab/fn/start_run", None)
    lab.start()
    try:
        oha(lab.url(), requests=runs, conns=1, body=start_run_body(True))
        # The archive writes what changed every second.
        time.sleep(2.5)
        return measure_stored(lab)
    finally:
        lab.stop()


def measure_stored(lab):
    if lab.backend == "sqlite":
        path = lab.database.removeprefix("sqlite:")
        q = "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM runs"
        out = subprocess.run(["python3", "-c", f"import sqlite3; print(*sqlite3.connect({path!r}).execute({q!r}).fetchone())"],
                             capture_output=True, text=True, check=True).stdout.split()
        disk = sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
    else:
        sizes = " + ".join(f"pg_total_relation_size('{t}')" for t in LAB_TABLES)
        q = f"SELECT COUNT(*), COALESCE(SUM(bytes), 0), {sizes} FROM runs"
        out = subprocess.run(["psql", lab.database, "-tAF", " ", "-c", q], capture_output=True, text=True,
                             check=True).stdout.split()
        disk = int(out[2])
    rows, record_bytes = int(out[0]), int(out[1])
    return {"rows": rows, "record_bytes_per_run": record_bytes / rows if rows else 0,
            "disk_bytes_per_run": disk / rows if rows else 0}


def bench_runs(seconds):
    """Complete authorization-code runs: register, authorize, sign in,
    consent, token, API call, all over loopback HTTP with capture on; for
    each backend, and with a database the bytes each stored run takes."""
    results = {}
    for backend in backends():
        lab = Lab(backend, ["--rate-per-minute", "0", "--max-runs", "1000000", "--memory-ceiling-mib", "0"],
                  "/lab/fn/start_run", None)
        lab.start()
        try:
            body = start_run_body(False)
            oha(lab.url(), seconds=1, conns=1, body=body)
            serial = oha(lab.url(), seconds=seconds, conns=1, body=body)
            parallel = oha(lab.url(), seconds=seconds, conns=8, body=body)
        finally:
            lab.stop()
        stored = stored_bytes(backend) if backend != "memory" else None
        results[lab.name] = {"serial": serial, "parallel": parallel, "stored": stored}
        print(f"  {lab.name}: {serial['rps']:.0f} runs/s serial (p50 {serial['p50_ms']:.1f} ms), "
              f"{parallel['rps']:.0f} at 8 connections; stored {stored}", flush=True)
    return results


def bench_memory(runs):
    """RSS before and after `runs` complete runs (refresh and revoke too),
    each by a new learner, all held in the store."""
    lab = Lab("memory", ["--rate-per-minute", "0", "--max-runs", "1000000", "--memory-ceiling-mib", "0"],
              "/lab/fn/start_run", None)
    lab.start()
    try:
        # Warm the allocator and the code paths, then measure from there.
        oha(lab.url(), requests=50, conns=4, body=start_run_body(True))
        time.sleep(0.5)
        before = rss_bytes(lab.proc.pid)
        res = oha(lab.url(), requests=runs, conns=4, body=start_run_body(True))
        time.sleep(0.5)
        after = rss_bytes(lab.proc.pid)
    finally:
        lab.stop()
    return {"runs": runs, "rss_before": before, "rss_after": after,
            "per_run": (after - before) / runs, "codes": res["codes"]}


def verdict(ok):
    return "met" if ok else "MISSED"


def report(tokens, runs, memory, args):
    lab = tokens["oauth2-lab"]
    oxide = tokens["oxide-auth"]
    floor = tokens["floor (bare axum)"]
    lines = [
        "# Benchmark: token endpoint, runs, memory",
        "",
        f"Measured {datetime.date.today().isoformat()} on {platform.node()} ({os.cpu_count()} cores), "
        f"`make bench` (bench/run.sh → bench/harness.py). Each server on core 0, oha on core 1, "
        f"{args.rounds} interleaved rounds of {args.seconds} s at 16 connections; the median round is shown. "
        "The lab runs as `make run` runs it (default log level, output to a file), with its state in memory, "
        "in SQLite or in PostgreSQL.",
        "",
        "## client_credentials token requests",
        "",
        "| server | req/s (median) | p50 ms | p99 ms | lab ÷ server | all rounds req/s | server CPU µs/req (median) | server ÷ lab, CPU |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, r in tokens.items():
        ratio = lab["rps"] / r["rps"] if r["rps"] else float("nan")
        cpu_ratio = r["cpu_us_median"] / lab["cpu_us_median"]
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {ratio:.2f} | "
                     f"{', '.join(map(str, r['all_rps']))} | {r['cpu_us_median']:.1f} | {cpu_ratio:.2f} |")
    vs_oxide = lab["rps"] / oxide["rps"]
    vs_oxide_paired = oxide["paired_vs_lab"]["median"]
    vs_floor = lab["rps"] / floor["rps"]
    memory_runs = runs["oauth2-lab"]
    serial = memory_runs["serial"]
    per_run_kb = memory["per_run"] / 1024
    projected_mb = (memory["rss_before"] + 1000 * memory["per_run"]) / 1e6
    lines += [
        "",
        "## Targets",
        "",
        "| measure | figure | target | |",
        "|---|---:|---:|---|",
        f"| lab (memory) ÷ oxide-auth, token req/s, the two medians | {vs_oxide:.2f} | ≥ {TARGET_VS_OXIDE} | {verdict(vs_oxide >= TARGET_VS_OXIDE)} |",
        f"| lab (memory) ÷ oxide-auth, token req/s, the median of the paired rounds "
        f"({', '.join(map(str, oxide['paired_vs_lab']['rounds']))}) | {vs_oxide_paired:.2f} | ≥ {TARGET_VS_OXIDE} | "
        f"{verdict(vs_oxide_paired >= TARGET_VS_OXIDE)} |",
        f"| lab (memory) ÷ floor, token req/s | {vs_floor:.2f} | ≥ {TARGET_VS_FLOOR} | {verdict(vs_floor >= TARGET_VS_FLOOR)} |",
        f"| for reference: oxide-auth ÷ lab, server CPU per request | {oxide['cpu_us_median'] / lab['cpu_us_median']:.2f} | ≥ {TARGET_VS_OXIDE} | ({verdict(oxide['cpu_us_median'] / lab['cpu_us_median'] >= TARGET_VS_OXIDE).lower()}) |",
        f"| for reference: floor ÷ lab, server CPU per request | {floor['cpu_us_median'] / lab['cpu_us_median']:.2f} | ≥ {TARGET_VS_FLOOR} | ({verdict(floor['cpu_us_median'] / lab['cpu_us_median'] >= TARGET_VS_FLOOR).lower()}) |",
        f"| lab (memory) p99 at 16 connections | {lab['p99_ms']:.3f} ms | ≤ {TARGET_P99_MS} ms | {verdict(lab['p99_ms'] <= TARGET_P99_MS)} |",
    ]
    if "oauth2-lab (sqlite)" in tokens:
        sq = tokens["oauth2-lab (sqlite)"]["rps"]
        lines.append(f"| lab (sqlite), token req/s | {sq:.0f} | ≥ {TARGET_SQLITE_RPS:,} | {verdict(sq >= TARGET_SQLITE_RPS)} |")
    lines += [
        f"| complete autoplay run, server time (1 at a time, p50, memory) | {serial['p50_ms']:.1f} ms | ≤ {TARGET_RUN_MS} ms | {verdict(serial['p50_ms'] <= TARGET_RUN_MS)} |",
        f"| 1,000 learners' runs held, RSS | {projected_mb:.0f} MB | ≤ {TARGET_1000_RUNS_MB:.0f} MB | {verdict(projected_mb <= TARGET_1000_RUNS_MB)} |",
        "",
        "## Complete authorization-code runs (capture on)",
        "",
        "Register → authorize → sign in → consent → token → API calls, each a real loopback HTTP exchange "
        "recorded by the capture layer; one `POST /lab/fn/start_run` returns when the run is done. "
        "With a database, bytes per stored run are its record's JSON and what the database takes for the "
        "runs table (SQLite: the file and its WAL; PostgreSQL: the table, its indexes and TOAST).",
        "",
        "| backend | runs/s, 1 connection | p50 ms | p99 ms | runs/s, 8 connections | p50 ms | p99 ms | runs stored | JSON bytes/run | database bytes/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in runs.items():
        se, pa, st = r["serial"], r["parallel"], r["stored"]
        stored = (f"{st['rows']} | {st['record_bytes_per_run']:.0f} | {st['disk_bytes_per_run']:.0f}" if st
                  else "in memory | | ")
        lines.append(f"| {name} | {se['rps']:.0f} | {se['p50_ms']:.1f} | {se['p99_ms']:.1f} | {pa['rps']:.0f} | "
                     f"{pa['p50_ms']:.1f} | {pa['p99_ms']:.1f} | {stored} |")
    lines += [
        "",
        "## Memory per stored run",
        "",
        f"{memory['runs']} complete runs with refresh and revoke, each by a new learner: RSS "
        f"{memory['rss_before'] / 1e6:.1f} MB → {memory['rss_after'] / 1e6:.1f} MB, "
        f"**{per_run_kb:.1f} KiB per run** (statuses {memory['codes']}). "
        f"1,000 runs: {projected_mb:.0f} MB RSS.",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.md").write_text(text)
    (RESULTS / "bench.json").write_text(json.dumps({"tokens": tokens, "runs": runs, "memory": memory}, indent=2))
    print(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--memory-runs", type=int, default=1000)
    p.add_argument("--tokens-only", metavar="NAMES",
                   help="only the token rounds, for these servers (comma-separated names as the report prints them)")
    args = p.parse_args()
    if args.tokens_only:
        tokens = bench_tokens(args.rounds, args.seconds, args.tokens_only.split(","))
        lab = tokens.get("oauth2-lab")
        for name, r in tokens.items():
            print(f"{name}: median {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms, {r['cpu_us_median']:.1f} µs CPU/req; "
                  f"rounds {r['all_rps']}")
        for name, r in tokens.items():
            if "paired_vs_lab" in r:
                pr = r["paired_vs_lab"]
                print(f"oauth2-lab ÷ {name}: {lab['rps'] / r['rps']:.2f} of the medians, {pr['median']:.2f} the median "
                      f"of the paired rounds {pr['rounds']}; server CPU per request {r['cpu_us_median'] / lab['cpu_us_median']:.2f}")
        shutil.rmtree(SCRATCH, ignore_errors=True)
        return
    print("token endpoint:", flush=True)
    tokens = bench_tokens(args.rounds, args.seconds)
    print("complete runs:", flush=True)
    runs = bench_runs(args.seconds)
    print("memory per run:", flush=True)
    memory = bench_memory(args.memory_runs)
    report(tokens, runs, memory, args)
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
