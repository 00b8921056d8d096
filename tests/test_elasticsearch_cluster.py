"""Fault tests on a real three-node Elasticsearch cluster (`scripts/elasticsearch.sh cluster-start`: HTTP
9210-9212, small heaps) with index.shards 3 and index.replicas 1. A node stops during a stream of searches
through kmingest's search API (a data node, then the elected master; clean shutdowns), and one crashes
(SIGKILL) during an ingest through the real pipeline (hashed test embedder); searches keep answering, the
ingest ends with exactly the source's documents and chunks, and the cluster is green again once the node is
back. An answer that lacks shards is asked again once and, lacking them still, marked partial (never shown
as complete); without replicas a stopped node's shards stay missing, and the API, the portal and the CLI say
so. kmingest's index.url lists all three nodes (the client fails over from a stopped one); the figures
print with `pytest -s` (docs/scaling.md quotes them)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from kmingest.cli import cli
from kmingest.config import Config, parse_config
from kmingest.index.base import Caller, IndexError_, Mode
from kmingest.portal import create_app
from kmingest.search import search
from kmingest.testing.embedder import hashed_embedding, use_hashed_models
from kmingest.workspace import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "elasticsearch.sh"
NODES = {n: f"http://127.0.0.1:{9209 + n}" for n in (1, 2, 3)}
TOPICS = [
    "pump seal",
    "valve torque",
    "boiler pressure",
    "conveyor belt",
    "forklift battery",
    "chiller coolant",
    "compressor filter",
    "crane brake",
    "welding fume",
    "laser alignment",
]
MAX_FAILED_SEARCHES = 3  # per node stop, failed or incomplete: a request in flight there may lose a shard


def cluster_script(*args: str, fresh: bool = False) -> None:
    env = {**os.environ, "KMINGEST_ES_FRESH": "1" if fresh else "0"}  # fresh: empty data folders
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, f"elasticsearch.sh {' '.join(args)}: {done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def admin() -> Iterator[Elasticsearch]:
    """The cluster for this module (started fresh, stopped at the end); a client that knows every node."""
    cluster_script("cluster-start", fresh=True)
    client = Elasticsearch(list(NODES.values()), request_timeout=150)
    try:
        yield client
    finally:
        client.close()
        cluster_script("cluster-stop")


def roles(admin: Elasticsearch) -> tuple[int, int, int]:
    """(the node kmingest talks to, a node that is not the master, the elected master), as node numbers."""
    admin.cluster.health(wait_for_status="yellow", timeout="60s")  # a master is elected
    state = admin.cluster.state(metric=["master_node", "nodes"])
    master = int(str(state["nodes"][state["master_node"]]["name"]).rsplit("-", 1)[1])
    client, other = sorted(set(NODES) - {master})
    return client, other, master


def seconds_to_green(admin: Elasticsearch) -> float:
    started = time.monotonic()
    health = admin.cluster.health(wait_for_status="green", wait_for_nodes="3", timeout="120s")
    assert (health["status"], health["timed_out"]) == ("green", False)
    return round(time.monotonic() - started, 1)


def restart(admin: Elasticsearch, node: int) -> dict[str, float]:
    """Start a stopped node again: seconds until it joined, then until every replica is assigned."""
    started = time.monotonic()
    cluster_script("node-start", str(node))
    return {"join_s": round(time.monotonic() - started, 1), "green_s": seconds_to_green(admin)}


def code(i: int) -> str:
    """A word only note i holds, so that a query naming it has one right first answer."""
    return "qx" + "".join(chr(97 + i // 26**k % 26) for k in range(3)) + "k"


def write_corpus(folder: Path, count: int) -> None:
    """Short notes, and every 9th a long report of several chunks."""
    folder.mkdir()
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        text = f"Maintenance note {code(i)}: the {topic} of line {i % 13} was checked by crew {i % 5}."
        if i % 9 == 0:
            text += "".join(
                f"\n\nFinding {k} on the {topic}: wear measured at {k * i % 97} micrometres, "
                f"parts replaced, torque verified, area cleaned and signed off. " * 4
                for k in range(12)
            )
        (folder / f"note-{i:04d}.txt").write_text(text, "utf-8")


def config(tmp_path: Path, name: str, index: dict[str, Any], **more: Any) -> Config:
    return parse_config(
        {
            "state_dir": str(tmp_path / name),
            "embedding": hashed_embedding(),
            "index": index,
            "sources": [{"name": "notes", "connector": "filesystem", "path": str(tmp_path / "docs")}],
            **more,
        },
        tmp_path / "kmingest.yaml",
    )


def es_config(tmp_path: Path, node: int, replicas: int = 1, **more: Any) -> Config:
    prefix = f"kmingest-cluster-{uuid.uuid4().hex[:8]}"
    return config(
        tmp_path,
        "state",
        {
            "backend": "elasticsearch",
            "url": ", ".join([NODES[node], *(u for n, u in NODES.items() if n != node)]),
            "index_prefix": prefix,
            "shards": 3,
            "replicas": replicas,
        },
        **more,
    )


@dataclass
class Stream:
    """What a stream of searches saw while one node went away."""

    answered: int = 0
    failed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # answers without the right first hit or with fewer hits
    shard_failures: list[str] = field(default_factory=list)  # answers Elasticsearch says lack shards
    partial: list[str] = field(default_factory=list)  # results kmingest marked partial (after asking again)
    seconds: float = 0.0


def expected_answers(notes: int) -> dict[tuple[str, Mode], tuple[str, int | None]]:
    """Queries with answers a user can check: one note's own word (hybrid) finds that note first; a topic
    (bm25, exact counts) finds its notes, every tenth one ("torque" is in every long report: left out)."""
    words = {(code(i), "hybrid"): (f"note-{i:04d}.txt", None) for i in range(3, notes, 23)}
    topics = {(topic, "bm25"): ("", notes // len(TOPICS)) for topic in TOPICS if "torque" not in topic}
    return cast(dict[tuple[str, Mode], tuple[str, int | None]], words | topics)


def search_during(ws: Workspace, action: Callable[[], None], after: int = 12) -> Stream:
    """Searches through kmingest's search API in a loop while `action` runs in a thread, and `after` more
    once it is done; each answer is checked against what the healthy cluster answers."""
    expected = expected_answers(120)
    queries = list(expected)
    worker = threading.Thread(target=action)
    stream, started, remaining = Stream(), time.monotonic(), after
    client = cast(Any, ws.index).client
    real = client.msearch

    def msearch(**request: Any) -> Any:  # Elasticsearch reports shards it lost inside an HTTP 200 answer
        answer = real(**request)
        for response in answer["responses"]:
            failures = response.get("_shards", {}).get("failures", [])
            if failures:  # one entry per answer: the reasons of the shards it lacks
                stream.shard_failures.append(
                    ",".join(sorted({str(f["reason"].get("type")) for f in failures}))
                )
        return answer

    client.msearch = msearch
    worker.start()
    while remaining > 0:
        query, mode = queries[(stream.answered + len(stream.failed)) % len(queries)]
        try:
            result = search(ws, query, Caller.system(), mode=mode)
        except Exception as err:  # counted, and what it was is kept for the report
            stream.failed.append(type(err).__name__)
        else:
            stream.answered += 1
            first, total = expected[query, mode]
            answer = (result.hits[0].external_id if result.hits else "", result.total)
            if result.partial:
                stream.partial.append(f"{query!r}: first {answer[0]}, total {answer[1]}")
            elif (first or answer[0], total or answer[1]) != answer:  # wrong, and shown as complete
                stream.wrong.append(f"{query!r}: first {answer[0]}, total {answer[1]}")
        if not worker.is_alive():
            remaining -= 1
    worker.join()
    del client.msearch
    stream.seconds = round(time.monotonic() - started, 1)
    return stream


def test_searches_keep_answering_while_a_node_and_then_the_master_stop(
    tmp_path: Path, admin: Elasticsearch
) -> None:
    write_corpus(tmp_path / "docs", 120)
    client, data_node, master = roles(admin)
    with use_hashed_models(), Workspace(es_config(tmp_path, client)) as ws:
        assert ws.ingest(["notes"])["notes"].indexed == 120
        healthy = search_during(ws, lambda: None, after=len(expected_answers(120)))
        assert (healthy.failed, healthy.wrong) == ([], [])  # the expectations hold on the healthy cluster
        report: dict[str, Any] = {}
        for label, node in (("data node", data_node), ("master", master)):
            stream = search_during(ws, partial(cluster_script, "node-stop", str(node)))
            assert roles(admin)[2] != node  # the master left: another one was elected
            report[label] = {
                "searches": stream.answered + len(stream.failed),
                "failed": stream.failed,
                "wrong": stream.wrong,
                "shard_failures": stream.shard_failures,
                "partial": stream.partial,
                "stream_s": stream.seconds,
                **restart(admin, node),
            }
            # no wrong answer is shown as complete; a lost shard is asked again, then shown as partial
            assert stream.wrong == [], report
            assert len(stream.failed) + len(stream.partial) <= MAX_FAILED_SEARCHES, report
        print(f"\nsearch stream while a node stops (shards 3, replicas 1): {report}")
        ws.index.layout.drop()  # type: ignore[attr-defined]


def copy_counts(admin: Elasticsearch, prefix: str) -> dict[tuple[str, str], dict[str, int]]:
    """Documents each copy of each shard answers searches with (primary and replica), by index and shard."""
    admin.indices.refresh(index=f"{prefix}-*")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    rows = admin.cat.shards(index=f"{prefix}-*", format="json", h="index,shard,prirep,id").body
    for row in cast(list[dict[str, str]], rows):
        only_there = f"_shards:{row['shard']}|_only_nodes:{row['id']}"
        found = admin.count(index=row["index"], preference=only_there)["count"]
        counts.setdefault((row["index"], row["shard"]), {})[row["prirep"]] = int(found)
    return counts


def ingest_with_crash(ws: Workspace, victim: int, at: int = 130) -> str:
    """An ingest during which a node crashes (SIGKILL) once `at` records are seen: two batches are
    written, the next ones are on their way. Returns how the run ended."""
    killed: list[float] = []

    def kill() -> None:
        cluster_script("node-kill", str(victim))
        killed.append(time.monotonic())

    killer = threading.Thread(target=kill)

    def crash_once(seen: int) -> None:
        if seen == at:
            killer.start()

    started = time.monotonic()
    try:
        outcome = (
            f"completed, {ws.ingest(['notes'], progress=lambda name: crash_once)['notes'].indexed} indexed"
        )
    except Exception as err:  # the run may fail; the caller's rerun must then resume it
        outcome = f"failed with {type(err).__name__}"
    ended = time.monotonic()
    killer.join()
    assert killed and killed[0] < ended  # the node was gone while the run was still writing
    return f"{outcome} in {ended - started:.1f}s (node gone {ended - killed[0]:.1f}s before the end)"


def test_ingest_through_a_node_crash_ends_with_exactly_the_source(
    tmp_path: Path, admin: Elasticsearch
) -> None:
    write_corpus(tmp_path / "docs", 700)
    with use_hashed_models():
        with Workspace(config(tmp_path, "reference", {"path": str(tmp_path / "reference.db")})) as ws:
            ws.ingest(["notes"])  # the same corpus through the same pipeline, no fault: what to expect
            expected = {f.external_id: f.chunks for f in ws.index.document_facts(Caller.system())}
        assert len(expected) == 700 and sum(expected.values()) > 800
        client, victim, _ = roles(admin)
        with Workspace(es_config(tmp_path, client)) as ws:
            first = ingest_with_crash(ws, victim)
            rerun = ws.ingest(["notes"])[
                "notes"
            ]  # resumes a failed run; finds nothing to do after a good one
            print(
                f"\ningest while a node crashes: first run {first}; rerun: {rerun.indexed} indexed, "
                f"{rerun.unchanged} unchanged"
            )
            assert rerun.unchanged + rerun.indexed == 700 and rerun.failed == 0
            facts = ws.index.document_facts(Caller.system())
            by_id = {f.external_id: (f.chunks, f.embedded_chunks) for f in facts}
            assert by_id == {external_id: (n, n) for external_id, n in expected.items()}  # none lost or twice
            assert ws.index.stats() == {"documents": 700, "chunks": sum(expected.values())}
            print(f"crashed node back: {restart(admin, victim)}")
            copies = copy_counts(admin, ws.config.index.index_prefix)
            assert all(copy["p"] == copy["r"] for copy in copies.values()), copies  # the replicas caught up
            again = ws.ingest(["notes"], full=True)["notes"]
            assert (again.unchanged, again.indexed, again.deleted) == (700, 0, 0)
            ws.index.layout.drop()  # type: ignore[attr-defined]


def test_a_search_that_lost_shards_says_so_in_the_api_the_portal_and_the_cli(
    tmp_path: Path, admin: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without replicas, a stopped node takes its primary shards away and Elasticsearch still answers
    (HTTP 200) from the others. kmingest asks once more, then marks the result partial: the JSON API has
    "partial": true, the portal page and `kmingest search` say results may be missing; what coverage
    reports read fails instead of counting short. Once the node is back, the same search is complete."""
    write_corpus(tmp_path / "docs", 120)
    client, victim, _ = roles(admin)
    access = {"users": {"bob": {"departments": ["Quality"]}}}
    cfg = es_config(tmp_path, client, replicas=0, access=access, portal={"demo_logins": True})
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "cluster-test-session-secret-of-32-bytes+")
    with use_hashed_models(), Workspace(cfg) as ws:
        assert ws.ingest(["notes"])["notes"].indexed == 120
        whole = search(ws, "pump seal", Caller.system(), mode="bm25")
        assert (whole.total, whole.partial) == (12, False)
        cluster_script("node-stop", str(victim))
        try:
            lost = search(ws, "pump seal", Caller.system(), mode="bm25")
            assert lost.partial and lost.total < whole.total, lost.total
            for report_input in (  # what coverage reports read: an error, not quietly short counts
                lambda: ws.index.keyword_matches("pump seal", Caller.system()),
                lambda: ws.index.counts(Caller.system(), ["department"]),
                lambda: list(ws.index.document_facts(Caller.system())),
            ):
                with pytest.raises(IndexError_, match="did not answer"):
                    report_input()
            with TestClient(create_app(cfg)) as portal:
                signed_in = portal.post("/login", data={"username": "bob"}, follow_redirects=False)
                assert signed_in.status_code == 303, signed_in.text
                assert portal.get("/api/search", params={"q": "pump seal"}).json()["partial"] is True
                page = portal.get("/search", params={"q": "pump seal"}).text
                assert "some documents may be missing" in page
            bob = ["search", "pump seal", "--mode", "bm25", "--as-user", "bob"]
            said = CliRunner().invoke(cli, bob, obj={"config": cfg})
            assert said.exit_code == 0 and "some documents may be missing" in said.output, said.output
        finally:
            print(f"\nlost node back: {restart(admin, victim)}")
        again = search(ws, "pump seal", Caller.system(), mode="bm25")
        assert (again.total, again.partial) == (whole.total, False)
        ws.index.layout.drop()  # type: ignore[attr-defined]
