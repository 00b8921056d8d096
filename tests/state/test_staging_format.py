"""The staged batch format (kmingest/staging.py): JSON lines with a versioned header, read back into the
same records whatever their values hold; a batch of another format or version, or one cut short, is
refused with an error naming the file and the fix."""

from __future__ import annotations

import json
import math
import pickle
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from kmingest.batch_write import Pending
from kmingest.models import SourceRecord
from kmingest.staging import Staging, StagingError

ODD_VALUES = {
    "when": datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8))),
    "naive": datetime(2026, 3, 1, 8, 30),
    "day": date(2025, 12, 31),
    "at": time(17, 45),
    "amount": Decimal("1234.5600"),
    "blob": b"\x00\xff raw",
    "pair": (1, "二"),
    "tags": {"b", "a"},
    "not_a_number": math.inf,
    "nested": {"$type": "looks like a tag", 3: [None, True, 2.5]},
    "rows": [{"数量": 3}, []],
}


def record(**kw: object) -> SourceRecord:
    fields: dict[str, object] = {"source": "docs", "external_id": "HR/caf\udce9.txt", "system": "oa"}
    return SourceRecord(**(fields | kw))  # type: ignore[arg-type]


def stage(tmp_path: Path, batch: list[Pending]) -> tuple[Staging, str]:
    store = Staging(str(tmp_path / "staging"))
    path = store.join("docs", "run", "batch-00000.jsonl")
    store.write_batch(path, {"source": "docs", "run_id": 7}, batch)
    return store, store.location(path)


def test_every_value_a_connector_yields_comes_back_equal(tmp_path: Path) -> None:
    file_record = record(
        filename="caf\udce9.txt",
        content=b"%PDF-1.7 \x00\xff",
        acl=("dept:HR",),
        title="考勤",
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
        metadata=ODD_VALUES,
    )
    row_record = record(external_id="orders:42", fields=ODD_VALUES, doc_type="orders", url="https://erp/42")
    batch = [Pending(file_record, "h1", True), Pending(row_record, "h2", False, failures=2)]
    store, location = stage(tmp_path, batch)
    assert store.read_batch(location) == batch
    text = Path(location).read_text(encoding="utf-8")
    assert "数量" in text and "\\udce9" in text  # UTF-8 as it is; a lone surrogate escaped
    header = json.loads(text.splitlines()[0])
    assert header == {
        "format": "kmingest-staged-batch",
        "version": 1,
        "source": "docs",
        "run_id": 7,
        "records": 2,
    }


def test_a_value_json_cannot_hold_is_refused_when_staging(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="a value of type object cannot be staged"):
        stage(tmp_path, [Pending(record(metadata={"x": object()}), "h", True)])


def test_a_version_1_line_without_optional_keys_reads_with_defaults(tmp_path: Path) -> None:
    store, location = stage(tmp_path, [])
    header = {"format": "kmingest-staged-batch", "version": 1, "records": 1}
    row = {
        "content_hash": "h",
        "is_new": True,
        "record": {"source": "docs", "external_id": "a", "system": "oa"},
    }
    Path(location).write_text(json.dumps(header) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    [pending] = store.read_batch(location)
    assert pending.record == SourceRecord("docs", "a", "oa") and pending.failures == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            json.dumps({"format": "kmingest-staged-batch", "version": 2, "records": 0}) + "\n",
            "staged batch format version 2 is newer than this kmingest reads (up to 1)",
        ),
        (pickle.dumps([1, 2]), "a pickle batch of a kmingest release before staging format 1 is not read"),
        (
            "id,title\n1,x\n",
            "not a kmingest staged batch (its first line is no kmingest-staged-batch header)",
        ),
        (
            json.dumps({"format": "kmingest-staged-batch", "version": 1, "records": 3}) + "\n",
            "0 of 3 records (the file was cut short)",
        ),
        (
            json.dumps({"format": "kmingest-staged-batch", "version": 1, "records": 1})
            + '\n{"content_hash": "h"',
            "line 2: JSONDecodeError",
        ),
    ],
)
def test_a_batch_this_release_cannot_read_is_refused_naming_file_and_fix(
    tmp_path: Path, content: str | bytes, problem: str
) -> None:
    store, location = stage(tmp_path, [])
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    Path(location).write_bytes(data)
    with pytest.raises(StagingError) as err:
        store.read_batch(location)
    assert str(err.value).startswith(f"{location}: ") and problem in str(err.value)
    assert "(fix: " in str(err.value)


def test_memory_storage_gives_urls_every_task_can_open() -> None:
    store = Staging(f"memory://kmingest-{uuid.uuid4().hex[:8]}/staging")
    path = store.join("docs", "run", "batch-00000.jsonl")
    batch = [Pending(record(content=b"text"), "h", True)]
    store.write_batch(path, {}, batch)
    location = store.location(path)
    assert (
        location.startswith("memory://") and Staging(location.rsplit("/", 3)[0]).read_batch(location) == batch
    )
    store.remove(store.join("docs"))
    assert not store.exists(path)
