"""What the Airflow DAGs in `dags/` are made of, as plain data: one DagSpec per configured source (its
schedule, retries, backoff, timeout, owner, pool) plus the ids and asset URIs that tie the source DAGs to the
coverage DAG. Kept here, free of Airflow, so it is tested without a scheduler and the DAG file stays thin.

    kmingest.yaml -> load_config -> dag_specs -> dags/kmingest_dags.py -> one DAG per source + coverage DAG
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from kmingest.config import Config

DAG_PREFIX = "kmingest_"
COVERAGE_DAG_ID = "kmingest_coverage"
CONFIG_ENV = "KMINGEST_CONFIG"


@dataclass(frozen=True)
class DagSpec:
    dag_id: str
    source: str
    connector: str
    system: str | None
    schedule: str | None
    owner: str
    retries: int
    retry_delay: timedelta
    max_retry_delay: timedelta
    timeout: timedelta
    batch_records: int
    pool: str
    asset_name: str
    asset_uri: str

    @property
    def tags(self) -> list[str]:
        return ["kmingest", f"connector:{self.connector}"] + (
            [f"system:{self.system}"] if self.system else []
        )


def asset_uri(source: str) -> str:
    """The asset a source DAG updates when its run finished: the source's documents in the index."""
    return f"kmingest://sources/{source}"


def dag_specs(config: Config) -> list[DagSpec]:
    specs = []
    for src in config.sources:
        d = src.dag
        specs.append(
            DagSpec(
                dag_id=f"{DAG_PREFIX}{src.name}",  # source names use only characters DAG ids allow
                source=src.name,
                connector=src.connector,
                system=src.system,
                schedule=src.schedule,
                owner=d.owner,
                retries=d.retries,
                retry_delay=timedelta(minutes=d.retry_delay_minutes),
                max_retry_delay=timedelta(minutes=d.max_retry_delay_minutes),
                timeout=timedelta(minutes=d.timeout_minutes),
                batch_records=d.batch_records,
                pool=config.airflow.pool,
                asset_name=f"kmingest_source_{src.name}",
                asset_uri=asset_uri(src.name),
            )
        )
    return specs


def dags_config_path(dags_folder: Path) -> Path:
    """The config the DAGs are generated from: $KMINGEST_CONFIG, else kmingest.yaml beside dags/."""
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else dags_folder.parent / "kmingest.yaml"
