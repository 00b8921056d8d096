"""Runs real Airflow in a subprocess for the DAG tests (Airflow reads its settings once, at import, so each
test environment gets its own process). Needs AIRFLOW_HOME, the metadata DB and AIRFLOW__CORE__DAGS_FOLDER
in the environment (see conftest.py).

    python -m tests.dags.airflow_runner list               the DAG bag as JSON: import errors, DAGs, tasks
    python -m tests.dags.airflow_runner test DAG[:CONF]...  dag.test(run_conf=CONF) for each, in order, in
                                                            one process (the model loads once); runs as JSON

The JSON is the last line of stdout; the task logs come before it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from airflow.dag_processing.dagbag import DagBag


def _schedule(schedule: Any) -> Any:
    """A cron preset stays a string; an asset condition becomes {"any": [uris]} or {"all": [uris]}."""
    if schedule is None or isinstance(schedule, str):
        return schedule
    if hasattr(schedule, "objects"):
        kind = "any" if type(schedule).__name__ == "AssetAny" else "all"
        return {kind: sorted(getattr(o, "uri", str(o)) for o in schedule.objects)}
    return {"all": [getattr(schedule, "uri", str(schedule))]}


def describe(bag: DagBag) -> dict[str, Any]:
    dags: dict[str, Any] = {}
    for dag_id in sorted(bag.dag_ids):
        dag = bag.get_dag(dag_id)
        dags[dag_id] = {
            "schedule": _schedule(dag.schedule),
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            "params": sorted(dag.params.keys()),
            "tags": sorted(dag.tags),
            "tasks": {
                t.task_id: {
                    "downstream": sorted(t.downstream_task_ids),
                    "owner": t.owner,
                    "retries": t.retries,
                    "retry_delay_s": t.retry_delay.total_seconds(),
                    "exponential_backoff": bool(t.retry_exponential_backoff),
                    "max_retry_delay_s": t.max_retry_delay.total_seconds() if t.max_retry_delay else None,
                    "timeout_s": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                    "pool": t.pool,
                    "mapped": bool(getattr(t, "is_mapped", False)),
                    "outlets": [getattr(o, "uri", str(o)) for o in t.outlets],
                }
                for t in dag.tasks
            },
        }
    return {"import_errors": dict(bag.import_errors), "dags": dags}


def main(argv: list[str]) -> int:
    bag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if argv[0] == "list":
        print(json.dumps(describe(bag)))
        return 0
    runs = []
    for item in argv[1:]:  # DAG_ID or DAG_ID:{"full": true}, run one after the other in this process
        dag_id, _, conf = item.partition(":")
        dag = bag.get_dag(dag_id)
        if dag is None:
            print(json.dumps({"error": f"no DAG {dag_id}", "import_errors": dict(bag.import_errors)}))
            return 1
        run = dag.test(run_conf=json.loads(conf) if conf else None)
        tasks = {
            ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
            for ti in run.get_task_instances()
        }
        runs.append({"dag_id": dag_id, "state": str(run.state), "tasks": tasks})
    print(json.dumps(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
