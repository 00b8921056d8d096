"""Elasticsearch index layout: mappings from mappings/*.json (the single source of truth, shipped in the
wheel as package data kmingest/index/mappings/, a link to the top-level folder in a checkout), versioned
physical indices behind aliases (`<prefix>-chunks` -> `<prefix>-chunks-v<N>`), one dense_vector field per
vector space (model profile) made from the mapping's `vector` template, the spaces recorded in the chunk
index's _meta, and the client built from config plus credentials from the environment. Both kinds carry a
`fingerprint` keyword (duplicate groups, index/base.py), added here where a mapping file lacks it and put
into the mapping of an index created before it.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from elasticsearch import Elasticsearch

from kmingest.config import IndexConfig

MAPPINGS_DIR: Traversable = files("kmingest.index") / "mappings"  # package data: works from a wheel too
KINDS = ("chunks", "documents")
FINGERPRINT = {"type": "keyword"}  # the text fingerprint of the document (index/base.py group_fingerprint)


def vector_field(space: str) -> str:
    """The chunk index field holding vectors of one space, e.g. vector_bge_small_zh_v1_5_q."""
    return "vector_" + re.sub(r"[^a-z0-9]+", "_", space.lower()).strip("_")


def load_mapping(kind: str, spaces: Mapping[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((MAPPINGS_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    body.pop("_comment", None)
    props = body["mappings"]["properties"]
    props.setdefault("fingerprint", FINGERPRINT)
    template = props.pop("vector", None)
    if template is not None:
        for space, dims in spaces.items():
            props[vector_field(space)] = {**template, "dims": dims}
    return body


def node_urls(url: str) -> list[str]:
    """`index.url` as the client's host list: "http://es1:9200, http://es2:9200" -> two nodes."""
    return [part.strip() for part in url.split(",") if part.strip()]


def make_client(cfg: IndexConfig) -> Elasticsearch:
    """Credentials only from the environment: KMINGEST_ES_API_KEY, or KMINGEST_ES_USERNAME/PASSWORD.
    `index.url` names one node or several separated by commas: the client fails over between them, so a
    cluster keeps answering when the node it was talking to goes down."""
    auth: dict[str, Any] = {}
    if os.environ.get("KMINGEST_ES_API_KEY"):
        auth["api_key"] = os.environ["KMINGEST_ES_API_KEY"]
    elif os.environ.get("KMINGEST_ES_USERNAME"):
        auth["basic_auth"] = (os.environ["KMINGEST_ES_USERNAME"], os.environ.get("KMINGEST_ES_PASSWORD", ""))
    return Elasticsearch(
        node_urls(cfg.url),
        verify_certs=cfg.verify_certs,
        request_timeout=30,
        retry_on_timeout=True,
        max_retries=3,
        **auth,
    )


class Layout:
    """Names of the aliases and the physical indices behind them."""

    def __init__(self, client: Elasticsearch, prefix: str, shards: int = 1, replicas: int = 0) -> None:
        self.client = client
        self.prefix = prefix
        self.shards = shards  # index.shards / index.replicas: written into each index created here
        self.replicas = replicas

    def alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    def physical(self, kind: str, version: int) -> str:
        return f"{self.alias(kind)}-v{version}"

    def current_version(self) -> int | None:
        """The version the aliases point at, or None before the first ingest."""
        alias = self.alias("chunks")
        if not self.client.indices.exists_alias(name=alias):
            return None
        names = list(self.client.indices.get_alias(name=alias))
        return int(names[0].rsplit("-v", 1)[1])

    def create(self, spaces: Mapping[str, int], version: int = 1, point_aliases: bool = True) -> None:
        """Create physical indices v<version>; with point_aliases, the aliases move to them atomically."""
        index_id = uuid.uuid4().hex
        actions = []
        for kind in KINDS:
            body = load_mapping(kind, spaces)
            if kind == "chunks":
                body["mappings"]["_meta"] = {"spaces": dict(spaces), "index_id": index_id, "version": version}
            physical = f"{self.alias(kind)}-v{version}"
            settings = {
                **body["settings"],
                "number_of_shards": self.shards,
                "number_of_replicas": self.replicas,
            }
            self.client.indices.create(index=physical, settings=settings, mappings=body["mappings"])
            actions.append({"add": {"index": physical, "alias": self.alias(kind)}})
        if point_aliases:
            self.client.indices.update_aliases(actions=actions)

    def add_fingerprint(self, indices: list[str]) -> None:
        """Add the fingerprint field to indices created before it (their mappings are strict); a no-op
        where it is there."""
        for index in indices:
            for body in self.client.indices.get_mapping(index=index).values():
                if "fingerprint" not in body["mappings"].get("properties", {}):
                    self.client.indices.put_mapping(index=index, properties={"fingerprint": FINGERPRINT})

    def swap(self, version: int) -> int | None:
        """Point both aliases at v<version> in one atomic request; returns the version they left."""
        old = self.current_version()
        actions: list[dict[str, Any]] = []
        for kind in KINDS:
            if old is not None:
                actions.append({"remove": {"index": self.physical(kind, old), "alias": self.alias(kind)}})
            actions.append({"add": {"index": self.physical(kind, version), "alias": self.alias(kind)}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def drop_version(self, version: int) -> None:
        for kind in KINDS:
            self.client.indices.delete(index=self.physical(kind, version), ignore_unavailable=True)

    def drop(self) -> None:
        """Delete the aliases' physical indices (tests and `reindex` clean-up)."""
        for kind in KINDS:
            alias = self.alias(kind)
            if self.client.indices.exists_alias(name=alias):
                for physical in self.client.indices.get_alias(name=alias):
                    self.client.indices.delete(index=physical)
