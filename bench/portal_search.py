"""Portal /api/search throughput and latency under concurrent clients, on the embedded backend.

    python -m bench.portal_search [--chunks 10000] [--requests 200] [--clients 1 4 16] [--workers N]

Index: SciFact abstracts chunked as the pipeline does, embedded with the default models of a default
`Config()` (the ONNX profiles routed by script; vectors are kept in the shared embedding cache
`.kmingest/embeddings.db`, so only the first run embeds), departments and ACLs varied, about `--chunks`
chunks. Past the corpus's own chunks it is repeated under new ids, each copy's vectors perturbed slightly
(noise 0.02, renormalized) so copies do not tie.
Server: `kmingest serve --workers N` in its own process (default: serve's own default, see
`kmingest serve --help`), as a Quality user's API token.
Clients: N threads, each with a keep-alive HTTP connection, sending SciFact train claims as queries until
`--requests` requests are done (after a warm-up). Each request is a full portal search: query embedding,
hybrid ranking, facets, the year facet (11 `limit=0` probes), the query log write and JSON encoding.
Server CPU per request (with psutil, where installed): CPU seconds of the server and its workers during a
level, over its requests; unlike req/s it hardly depends on what else runs on the machine.
Baseline, in the same run: `kmingest.search.search` called directly, one at a time, same queries, in a
fresh process of its own on a worker thread, like the server (see `baseline`), so the ratio is the cost
of HTTP, auth, the year facet, the query log and JSON.
Thread pools: subprocesses inherit the environment; `kmingest serve` sets KMINGEST_EMBED_THREADS (ONNX
intra-op threads) per worker to cpus // workers unless it is set, so `KMINGEST_EMBED_THREADS=1 python -m
bench.portal_search` measures single-threaded query encoding everywhere (the baseline too).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import yaml

from bench.common import SHARED_CACHE, build_scifact_index, default_embedder, percentile, scifact_queries
from kmingest.config import load_config
from kmingest.index.embedded import EmbeddedIndex
from kmingest.search import caller_for, search
from kmingest.workspace import Workspace

TOKEN = "bench-token-0123456789abcdef"


def write_config(work: Path) -> Path:
    data = {
        "state_dir": str(work / "state"),
        "index": {"path": str(work / "state" / "index.db")},
        # every query is encoded: the per-process query cache would serve the queries a level repeats
        "embedding": {"cache_path": str(SHARED_CACHE), "query_cache": 0},
        "access": {"users": {"bench": {"departments": ["Quality"]}}},
        "portal": {"api_tokens_env": "BENCH_API_TOKENS", "session_secret_env": "BENCH_SESSION_SECRET"},
    }
    path = work / "kmingest.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(config: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BENCH_API_TOKENS": f"{TOKEN}=bench",
        "BENCH_SESSION_SECRET": "bench-session-secret-0123456789abcdef",
    }
    extra = [] if workers is None else ["--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmingest.cli", "--config", str(config), "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:  # readiness: /api/health answers once the model is loaded and the app started
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the portal did not start")
        time.sleep(0.1)


def run_clients(
    url: str, queries: list[str], clients: int, requests: int, client: str = "stdlib"
) -> tuple[float, list[float]]:
    """(wall seconds, per-request latencies) for `requests` searches spread over `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    errors: list[str] = []

    # default: the standard library's HTTP client, one keep-alive connection per thread; the load generator
    # shares the 2 cores with the server, and httpx costs more CPU per request (--client httpx; BENCHMARKS.md)
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def take() -> str | None:
        """The next query to send, or None once `requests` are out."""
        with lock:
            i = next(counter, None)
        return None if i is None else queries[i % len(queries)]

    def record(started: float, status: int) -> None:
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if status != 200:
                errors.append(str(status))

    def httpx_worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as session:
            while (query := take()) is not None:
                t0 = time.perf_counter()
                record(t0, session.get("/api/search", params={"q": query}).status_code)

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        try:
            while (query := take()) is not None:
                t0 = time.perf_counter()
                conn.request("GET", "/api/search?" + urlencode({"q": query}), headers=headers)
                response = conn.getresponse()
                response.read()
                record(t0, response.status)
        finally:
            conn.close()

    target = httpx_worker if client == "httpx" else worker
    threads = [threading.Thread(target=target) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return wall, latencies


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of the server and its worker processes so far; None without psutil.
    Per request, it is what a search costs whatever else runs on the machine."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
        return float(sum(t.user + t.system for t in (p.cpu_times() for p in procs)))
    except psutil.Error:
        return None


def line(label: str, wall: float, lat: list[float]) -> str:
    ms = [v * 1000 for v in lat]
    return (
        f"{label:<28} {len(lat) / wall:7.1f} req/s   p50 {percentile(ms, 50):6.1f} ms   "
        f"p95 {percentile(ms, 95):6.1f} ms   p99 {percentile(ms, 99):6.1f} ms"
    )


def baseline(config_path: Path, requests: int) -> None:
    """In its own fresh process, like the server, and on a worker thread, as the server runs searches
    (torch on the main thread was several times slower on this loaded 2-core machine: its OpenMP team
    there has 2 threads): `kmingest.search.search` one query at a time."""
    cfg = load_config(config_path)
    queries = scifact_queries(400)
    times: list[float] = []
    result: dict[str, float] = {}

    def run() -> None:
        with Workspace(cfg) as ws:
            caller = caller_for("bench", cfg.access)
            for q in queries[200:220]:  # warm-up
                search(ws, q, caller)
            t0 = time.perf_counter()
            for i in range(requests):
                t1 = time.perf_counter()
                search(ws, queries[i % len(queries)], caller)
                times.append(time.perf_counter() - t1)
            result["wall"] = time.perf_counter() - t0

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    print(json.dumps({"wall": result["wall"], "times": times}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--workers", type=int, help="`kmingest serve --workers` (default: serve's default)")
    ap.add_argument(
        "--client",
        choices=["stdlib", "httpx"],
        default="stdlib",
        help="the load generator's HTTP client (it shares the cores with the server; stdlib costs less)",
    )
    args = ap.parse_args()
    if args.baseline:
        baseline(args.baseline, args.requests)
        return
    queries = scifact_queries(400)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config_path = write_config(work)
        embedder = default_embedder(SHARED_CACHE)
        index = EmbeddedIndex(work / "state" / "index.db")
        t0 = time.perf_counter()
        n = build_scifact_index(index, embedder, args.chunks)
        print(
            f"index: {n} chunks, {index.stats()['documents']} documents (built in "
            f"{time.perf_counter() - t0:.0f} s; {embedder.computed} embedded now, {embedder.cached} cached)"
        )
        index.close()
        assert embedder.cache is not None
        embedder.cache.close()

        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.portal_search",
                "--baseline",
                str(config_path),
                "--requests",
                str(args.requests),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        base_wall, times = measured["wall"], measured["times"]
        print(
            f"cpu cores: {os.cpu_count()}; requests per level: {args.requests}; queries: SciFact train claims"
        )
        print(line("baseline in-process search", base_wall, times))
        port = free_port()
        server = start_server(config_path, port, args.workers)
        print(f"server: kmingest serve --workers {args.workers or 'default'}")
        try:
            url = f"http://127.0.0.1:{port}"
            run_clients(url, queries[200:], 2, 20)  # warm-up
            for clients in args.clients:
                cpu0, own0 = server_cpu(server.pid), time.process_time()
                wall, lat = run_clients(url, queries, clients, args.requests, args.client)
                cpu1, own1 = server_cpu(server.pid), time.process_time()
                label = f"portal /api/search, {clients:>2} client{'s' if clients > 1 else ''}"
                cpu = (
                    ""
                    if cpu0 is None or cpu1 is None
                    else f"   server CPU {(cpu1 - cpu0) / len(lat) * 1000:.1f} ms/req"
                )
                print(
                    line(label, wall, lat)
                    + f"   ({percentile(lat, 50) / percentile(times, 50):.2f}x baseline p50)"
                    + cpu
                    + f"   client CPU {(own1 - own0) / len(lat) * 1000:.1f} ms/req"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
