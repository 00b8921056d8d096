"""One registry for connectors: a table of built-ins by dotted path, plus the `kmingest.connectors`
entry-point group for plugins installed as packages. Admins add a source without touching this file.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from pydantic import ValidationError

from kmingest.config import SourceConfig
from kmingest.connectors.base import Connector, ConnectorConfigError

ENTRY_POINT_GROUP = "kmingest.connectors"
BUILTIN: dict[str, str] = {
    "filesystem": "connectors.filesystem:FilesystemConnector",
    "tabular": "connectors.tabular:TabularConnector",
    "erp": "connectors.erp:ErpConnector",
    "crm": "connectors.crm:CrmConnector",
    "oa": "connectors.oa:OaConnector",
}


def available_connectors() -> dict[str, str]:
    """name -> where it comes from (dotted path of a built-in, or 'plugin: <dist> <value>')."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "?"
        found.setdefault(ep.name, f"plugin {dist}: {ep.value}")
    return found


def _load(target: str) -> type[Connector]:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise ConnectorConfigError(f"{target} is not a kmingest Connector subclass")
    return obj


def connector_class(name: str) -> type[Connector]:
    if name in BUILTIN:
        return _load(BUILTIN[name])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return _load(ep.value)
    known = ", ".join(sorted(available_connectors()))
    raise ConnectorConfigError(
        f"unknown connector {name!r} (fix: use one of {known}, or install a plugin that registers it "
        f"under the {ENTRY_POINT_GROUP!r} entry-point group)"
    )


def build_connector(source: SourceConfig, where: str = "config") -> Connector:
    """Instantiate the source's connector with its options validated; errors name file, key and fix."""
    try:
        cls = connector_class(source.connector)
    except ConnectorConfigError as err:
        raise ConnectorConfigError(f"{where}: sources[{source.name}].connector: {err}") from None
    try:
        options = cls.Options.model_validate(source.options)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            fix = "remove it or check its spelling" if e["type"] == "extra_forbidden" else "correct the value"
            problems.append(f"{where}: sources[{source.name}].{key}: {e['msg']} (fix: {fix})")
        raise ConnectorConfigError("\n".join(problems)) from None
    return cls(source, options)
