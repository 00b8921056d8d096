"""A CeleryExecutor Airflow deployment on one machine, for tests/dags/test_celery_workers.py: Redis as the
broker (scripts/redis.sh), PostgreSQL as the metadata DB (scripts/postgres.sh), and the Airflow 3 components
in processes of their own: api-server (REST API and the task execution API the workers call), scheduler,
dag-processor, and one `airflow celery worker` per simulated host. Every host has its own working folder
(cwd, HOME, TMPDIR, AIRFLOW_HOME with its task logs, its kmingest.yaml); hosts share only what real hosts
would: the broker, the databases, Elasticsearch and whatever shared storage their configs name.

    cluster = CeleryCluster(db_url, broker_url, control, [host_a, host_b])
    with cluster:                   start(): migrate the DB, start all, wait until each part answers
        cluster.trigger(dag_id) ... cluster.wait_for_run(...) ... cluster.tries(...)  (which host ran what)
    leaving the block ends every process it started, also when starting failed

Two functions here run inside the Airflow processes (imported by module path, so this module imports nothing
from pytest): `host_name`, the [core] hostname_callable that names a worker's host in its task instances, and
`task_policy`, the cluster policy (airflow_local_settings.py) that routes tasks to queues and injects a fault.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
HOST_ENV = "KMINGEST_TEST_HOST"  # the host name a process reports (host_name)
QUEUES_ENV = "KMINGEST_TEST_TASK_QUEUES"  # JSON {task_id: queue}: the cluster policy's routing
FAULT_ENV = "KMINGEST_TEST_FAIL_FIRST_TRY"  # a task id whose first try fails on this host


def host_name() -> str:
    return os.environ.get(HOST_ENV) or socket.getfqdn()


def _fail_first_try(context: Any) -> None:
    if context["ti"].try_number == 1:
        raise RuntimeError(f"injected fault: {host_name()} lost the task on its first try")


def task_policy(task: Any) -> None:
    """Airflow cluster policy: a task listed in $KMINGEST_TEST_TASK_QUEUES goes to that Celery queue (set
    when the dag-processor parses the DAG); the task named in $KMINGEST_TEST_FAIL_FIRST_TRY fails its first
    try on the host whose worker has that variable (applied when the worker parses the DAG to run it)."""
    queue = json.loads(os.environ.get(QUEUES_ENV) or "{}").get(task.task_id)
    if queue:
        task.queue = queue
    if task.task_id == os.environ.get(FAULT_ENV):
        task._pre_execute_hook = _fail_first_try


ONE_SHOT = {"db-migrate": (0,)}  # processes that end by themselves, and their good exit codes
LOCAL_SETTINGS = "from tests.dags.celery_cluster import task_policy  # noqa: F401\n"


@dataclass(frozen=True)
class Host:
    """One simulated machine: a worker (queues set) or the control plane (queues empty)."""

    name: str
    root: Path  # its working folder
    config: Path  # its kmingest.yaml
    queues: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # extra variables (e.g. FAULT_ENV)

    @property
    def node(self) -> str:
        return f"{self.name}@kmingest-test"  # the Celery worker's node name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ClusterError(RuntimeError):
    """A process of the deployment died or did not become ready (the message has its log's tail)."""


class CeleryCluster:
    def __init__(
        self,
        db_url: str,
        broker_url: str,
        control: Host,
        workers: list[Host],
        timeout: float = 300,
    ) -> None:
        self.db_url, self.broker_url = db_url, broker_url
        self.control, self.workers, self.timeout = control, workers, timeout
        self.port = free_port()
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v2", timeout=30)
        self.procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        self.secrets = {
            f"AIRFLOW__{k}": secrets.token_hex(16) for k in ("API_AUTH__JWT_SECRET", "API__SECRET_KEY")
        }
        self._celery: Any = None

    # -- processes ------------------------------------------------------------------------------------
    def env(self, host: Host) -> dict[str, str]:
        home = host.root / "airflow"
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "airflow_local_settings.py").write_text(LOCAL_SETTINGS, encoding="utf-8")
        for folder in ("home", "tmp"):
            (host.root / folder).mkdir(exist_ok=True)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KMINGEST_"))}
        airflow = {
            "CORE__EXECUTOR": "CeleryExecutor",
            "CORE__LOAD_EXAMPLES": "False",
            "CORE__DAGS_FOLDER": str(REPO / "dags"),
            "CORE__HOSTNAME_CALLABLE": "tests.dags.celery_cluster.host_name",
            "CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # the REST API without a token
            "CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            "DATABASE__SQL_ALCHEMY_CONN": self.db_url,
            "DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.db_url,
            "CELERY__BROKER_URL": self.broker_url,
            "CELERY__RESULT_BACKEND": f"db+{self.db_url}",
            "LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        return {
            **inherited,
            **{f"AIRFLOW__{k}": v for k, v in airflow.items()},
            **self.secrets,
            "AIRFLOW_HOME": str(home),
            "HOME": str(host.root / "home"),
            "TMPDIR": str(host.root / "tmp"),
            "PYTHONPATH": str(REPO),
            "KMINGEST_CONFIG": str(host.config),
            HOST_ENV: host.name,
            "HF_HUB_OFFLINE": "1",
            **host.env,
        }

    def spawn(self, name: str, host: Host, *args: str) -> None:
        log = host.root / f"{name}.log"
        with log.open("ab") as out:  # the child keeps its own handle
            options: dict[str, Any] = {"stdout": out, "stderr": subprocess.STDOUT, "start_new_session": True}
            proc = subprocess.Popen(["airflow", *args], cwd=host.root, env=self.env(host), **options)
        self.procs[name] = (proc, log)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        text = self.procs[name][1].read_text(encoding="utf-8", errors="replace")
        return f"--- {name} (last {chars} chars) ---\n{text[-chars:]}"

    def wait(self, what: str, check: Callable[[], Any], timeout: float | None = None) -> Any:
        """Poll `check` until it returns a truthy value (its result); fail early when a process died (only
        `db migrate` may end, and only with 0), or at the deadline."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            dead = [n for n, (p, _) in self.procs.items() if p.poll() not in (None, *ONE_SHOT.get(n, ()))]
            if dead:
                raise ClusterError(
                    f"{', '.join(dead)} exited while waiting for {what}\n"
                    + "\n".join(self.log_tail(n) for n in dead)
                )
            try:
                result = check()
            except (httpx.TransportError, OSError):
                result = None  # not listening yet
            if result:
                return result
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout or self.timeout:.0f} s waiting for {what}")
            time.sleep(0.5)

    def start(self) -> CeleryCluster:
        try:
            self.spawn("db-migrate", self.control, "db", "migrate")
            self.wait("airflow db migrate", lambda: self.procs["db-migrate"][0].poll() == 0)
            api = f"api-server --host 127.0.0.1 --port {self.port} --workers 1"
            worker = "celery worker --concurrency 1 --skip-serve-logs --without-gossip --without-mingle"
            control = {"api-server": api, "scheduler": "scheduler", "dag-processor": "dag-processor"}
            for name, command in control.items():
                self.spawn(name, self.control, *command.split())
            for w in self.workers:
                self.spawn(
                    w.name, w, *worker.split(), "--queues", ",".join(w.queues), "--celery-hostname", w.node
                )
            self.wait("the scheduler and dag-processor to report healthy", self._healthy)
            self.wait("both Celery workers to answer a ping", self._workers_up)
        except BaseException:
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        health = self.api.get("/monitor/health").json()
        return all(health.get(p, {}).get("status") == "healthy" for p in ("scheduler", "dag_processor"))

    def _workers_up(self) -> bool:
        replies = self.celery.control.ping(destination=[w.node for w in self.workers], timeout=1.0)
        return {node for reply in replies for node in reply} == {w.node for w in self.workers}

    def stop(self, grace: float = 30) -> None:
        """SIGTERM to each process group (a worker and its task processes), SIGKILL what is left after
        `grace` seconds; then nothing this cluster started is running."""
        for proc, _ in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc, _ in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # also children left behind by a clean exit
            proc.wait()
        self.api.close()
        if self._celery is not None:
            self._celery.close()

    def __enter__(self) -> CeleryCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- Celery control: which worker consumes which queue -------------------------------------------
    @property
    def celery(self) -> Any:
        if self._celery is None:
            from celery import Celery  # type: ignore[import-untyped]

            self._celery = Celery("kmingest-test-control", broker=self.broker_url)
        return self._celery

    def move_queue(self, queue: str, source: Host, target: Host) -> None:
        """`target` starts consuming `queue`, then `source` stops (as when a host is drained)."""
        for command, node in (("add_consumer", target.node), ("cancel_consumer", source.node)):
            replies = getattr(self.celery.control, command)(queue, destination=[node], reply=True, timeout=10)
            if not any(node in reply for reply in replies):
                raise ClusterError(f"{command} {queue} on {node}: no reply ({replies})")

    # -- REST API -------------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.api.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise ClusterError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:1000]}")
        return resp.json()

    def wait_for_dag(self, dag_id: str) -> None:
        def parsed() -> bool:
            if self.api.get(f"/dags/{dag_id}").status_code == 200:
                return True
            errors = self.call("GET", "/importErrors")["import_errors"]
            if errors:
                raise ClusterError(f"import errors while waiting for {dag_id}: {errors}")
            return False

        self.wait(f"the dag-processor to parse {dag_id}", parsed)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float | None = None) -> str:
        def finished() -> str | None:
            state = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            return str(state) if state in ("success", "failed") else None

        state: str = self.wait(f"run {run_id} of {dag_id} to finish", finished, timeout)
        return state

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(found["task_instances"])

    def tries(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every try of every task instance of the run, in the order they started: task, map index, try
        number, state, host, queue."""
        rows = []
        for ti in self.task_instances(dag_id, run_id):
            where = ti["task_id"] + (f"/{ti['map_index']}" if ti["map_index"] >= 0 else "")
            history = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{where}/tries")
            keys = ("task_id", "map_index", "try_number", "state", "hostname", "queue", "start_date")
            rows += [{k: t.get(k) for k in keys} for t in history["task_instances"]]
        return sorted(rows, key=lambda r: (r["start_date"] or "", r["task_id"], r["map_index"]))

    def pool(self, name: str, slots: int) -> None:
        self.call("POST", "/pools", json={"name": name, "slots": slots, "include_deferred": False})


def print_placement(tries: list[dict[str, Any]]) -> None:
    """Which task ran where: one line per try."""
    for t in tries:
        index = f"[{t['map_index']}]" if t["map_index"] >= 0 else ""
        print(f"{t['task_id']}{index} try {t['try_number']}: {t['state']} on {t['hostname']} ({t['queue']})")
