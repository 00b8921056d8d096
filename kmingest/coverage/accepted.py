"""Accepting a candidate key knowledge area into the knowledge map: the override file beside the map.

/coverage "Accept" (KM leads, POST with CSRF) or the CLI -> accept_topic(config, topic_id, name)
  -> the newest kept report's DiscoveredTopic -> area {name, description, accepted_from} appended to
     knowledge_map.accepted.yaml (beside knowledge_map.yaml) -> load_knowledge_map merges it

knowledge_map.yaml stays as people wrote it (reviewed changes only); the accepted file is plain YAML in the
map's own format, so a KM lead can review it, move areas into the map, or delete it. An accepted area has
no keywords: it matches by meaning (its description: the topic's label terms and representative
document), so the next report shows it with its status; adding keywords to it is a normal map edit.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from kmingest.config import Config, read_yaml
from kmingest.coverage.knowledge_map import (
    KnowledgeMapError,
    accepted_path,
    load_knowledge_map,
    parse_knowledge_map,
)
from kmingest.coverage.model import DiscoveredTopic
from kmingest.coverage.report import latest_full_report, reports_dir

HEADER = (
    "# Areas KM leads accepted from the coverage report's candidates (kmingest/coverage/accepted.py).\n"
    "# Merged into knowledge_map.yaml's departments when the map is loaded; edit or move them freely.\n"
)


_write_lock = threading.Lock()


class AcceptError(Exception):
    """The candidate cannot be accepted (no map configured, unknown topic, name already taken)."""


def area_for(topic: DiscoveredTopic, name: str | None = None) -> dict[str, Any]:
    """The area to write; a topic of restricted documents only has no terms: the given name describes it."""
    if not topic.terms and not (name or "").strip():
        raise AcceptError(
            "this topic's documents are restricted, so it has no label (fix: give the area a name that says "
            "what it is about; it is matched by that name)"
        )
    description = ", ".join(topic.terms) or (name or "").strip()
    if topic.representative:
        description += f" (as in: {topic.representative})"
    return {
        "name": (name or topic.label).strip()[:120],
        "description": description,
        "accepted_from": topic.topic_id,
    }


def accept_candidate(map_path: Path, topic: DiscoveredTopic, name: str | None = None) -> Path:
    """Append the topic as an area of its department to the accepted file; returns that file. The map
    with it must still load (a duplicate name is refused). Accepts in one process are serialised; the
    file is replaced atomically, so a reader never sees half of it."""
    area = area_for(topic, name)
    if not area["name"]:
        raise AcceptError("give the area a name")
    with _write_lock:
        return _append(map_path, topic, area)


def _append(map_path: Path, topic: DiscoveredTopic, area: dict[str, Any]) -> Path:
    kmap = load_knowledge_map(map_path)  # also validates the accepted file as it is
    taken = {a.name.lower(): a.name for a in kmap.departments.get(topic.department, ())}
    if area["name"].lower() in taken:
        raise AcceptError(
            f"{topic.department} already has an area named {taken[area['name'].lower()]!r} "
            "(fix: give the accepted area another name)"
        )
    path = accepted_path(map_path)
    data: dict[str, Any] = {"departments": {}}
    if path.exists():
        data = read_yaml(path, KnowledgeMapError) or data
    data.setdefault("departments", {}).setdefault(topic.department, []).append(area)
    parse_knowledge_map(data, path)  # never write a file the loader refuses
    text = HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def candidates(config: Config) -> list[DiscoveredTopic]:
    """The candidate key knowledge areas of the newest kept report, largest first ([] without a report)."""
    report = latest_full_report(reports_dir(config))
    found = [t for t in report.topics if t.candidate] if report else []
    return sorted(found, key=lambda t: (-t.documents, t.topic_id))


def find_topic(config: Config, topic_id: str) -> DiscoveredTopic:
    topic = next((t for t in candidates(config) if t.topic_id == topic_id), None)
    if topic is None:
        raise AcceptError(
            f"no candidate {topic_id!r} in the newest kept report (run `kmingest report coverage`)"
        )
    return topic


def accept_topic(config: Config, topic_id: str, name: str | None = None) -> Path:
    """Accept the candidate `topic_id` of the newest kept report into the map (the CLI and /coverage)."""
    if config.coverage.knowledge_map is None:
        raise AcceptError("no knowledge map configured (set coverage.knowledge_map)")
    return accept_candidate(config.coverage.knowledge_map, find_topic(config, topic_id), name)
