"""Airflow DAGs for kmingest, generated from the sources config (thin: every step is a library call).

One DAG per source, `kmingest_<source>`:  extract -> process (mapped, one task per batch) -> finalize
    extract    lists what changed since the checkpoint and stages it in batch files (XCom: paths only)
    process    parses, chunks, embeds and indexes one batch (in the index-write pool)
    finalize   deletes what a full sync no longer saw, commits the checkpoint, publishes the run stats
               and updates the source's Asset
and `kmingest_coverage`, scheduled on any source Asset, which writes the coverage report. When a task fails
for good (after its retries), its failure callback marks the kmingest run failed with the task's error, so
`kmingest status` says what Airflow says.

Config: $KMINGEST_CONFIG, else kmingest.yaml beside this folder. An invalid config file is an import error
(shown in the Airflow UI with file, key and fix); a source whose connector settings cannot work fails its own
DAG runs only. Trigger a source DAG with {"full": true} for a full re-sync (deletes what the export no longer
has) or {"force": true} to re-process unchanged records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Asset, Param, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from kmingest import staged
from kmingest.config import ConfigError, load_config
from kmingest.connectors.base import ConnectorConfigError
from kmingest.coverage import KnowledgeMapError, write_report
from kmingest.scheduling import COVERAGE_DAG_ID, DagSpec, dag_specs, dags_config_path
from kmingest.workspace import Workspace

CONFIG_PATH = dags_config_path(Path(__file__).resolve().parent)
START = datetime(2026, 1, 1)


@contextmanager
def _workspace() -> Iterator[Workspace]:
    """The config is read when a task runs, so edits apply to the next task. A configuration error fails
    the task at once: retrying cannot fix it."""
    try:
        with Workspace(load_config(CONFIG_PATH)) as ws:
            yield ws
    except (ConfigError, ConnectorConfigError) as err:
        raise AirflowFailException(f"configuration error (not retried): {err}") from err


def _mark_run_failed(source: str) -> Callable[[Any], None]:
    """A task's on_failure_callback: the kmingest run of this Airflow run is marked failed (if running)."""

    def callback(context: Any) -> None:
        task_id = getattr(context.get("task_instance"), "task_id", "?")
        error = f"Airflow task {task_id} failed: {context.get('exception') or 'no exception recorded'}"
        try:
            run_id = staged.fail_run(load_config(CONFIG_PATH), source, str(context["run_id"]), error)
        except Exception as err:  # a callback must not raise; say why the run history could not follow
            print(f"kmingest: could not mark the run failed: {type(err).__name__}: {err}")
            return
        print(f"kmingest: run {run_id} marked failed: {error}" if run_id else "kmingest: no run was staged")

    return callback


def source_dag(spec: DagSpec) -> DAG:
    asset = Asset(name=spec.asset_name, uri=spec.asset_uri)
    default_args: dict[str, Any] = {
        "on_failure_callback": _mark_run_failed(spec.source),
        "owner": spec.owner,
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": spec.max_retry_delay,
        "execution_timeout": spec.timeout,
    }
    with DAG(
        dag_id=spec.dag_id,
        description=f"kmingest: ingest source {spec.source!r} ({spec.connector}) into the index",
        schedule=spec.schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args,
        params={
            "full": Param(
                False, type="boolean", description="Full re-sync: also delete what the export no longer has"
            ),
            "force": Param(False, type="boolean", description="Re-process records even if unchanged"),
        },
        tags=spec.tags,
        doc_md=__doc__,
    ) as dag:

        @task
        def extract() -> list[str]:
            ctx = get_current_context()
            params, run_key = ctx["params"], ctx["run_id"]
            with _workspace() as ws:
                plan = staged.plan_run(
                    ws, spec.source, run_key, bool(params["full"]), bool(params["force"]), spec.batch_records
                )
            print(f"run {plan.run_id}: {len(plan.batches)} batch(es) to process; {plan.stats}")
            return plan.batches

        @task(pool=spec.pool)
        def process(batch: str) -> dict[str, int]:
            with _workspace() as ws:
                return staged.process_batch(ws, batch)

        @task(pool=spec.pool, outlets=[asset], trigger_rule=TriggerRule.NONE_FAILED)
        def finalize() -> dict[str, int]:
            with _workspace() as ws:
                stats = staged.finalize_run(ws, spec.source, get_current_context()["run_id"])
            get_current_context()["outlet_events"][asset].extra = {"source": spec.source, **stats}
            print(f"run stats: {stats}")
            return stats

        process.expand(batch=extract()) >> finalize()
    return dag


def coverage_dag(specs: list[DagSpec]) -> DAG:
    assets = [Asset(name=s.asset_name, uri=s.asset_uri) for s in specs]
    schedule: Any = None
    for a in assets:
        schedule = a if schedule is None else schedule | a  # any source that finished
    with DAG(
        dag_id=COVERAGE_DAG_ID,
        description="kmingest: coverage report per department, after any source finished ingesting",
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["kmingest", "coverage"],
    ) as dag:

        @task
        def report() -> list[str]:
            """Builds the coverage report and keeps it in coverage.reports_dir (each run a new one,
            compared with the previous)."""
            try:
                paths = write_report(load_config(CONFIG_PATH))
            except (ConfigError, KnowledgeMapError) as err:
                raise AirflowFailException(f"configuration error (not retried): {err}") from err
            print("coverage report:", *paths, sep="\n  ")
            return [str(p) for p in paths]

        report()
    return dag


_specs = dag_specs(load_config(CONFIG_PATH))
for _spec in _specs:
    globals()[_spec.dag_id] = source_dag(_spec)
globals()[COVERAGE_DAG_ID] = coverage_dag(_specs)
