"""One registry for connectors: a table of built-ins by dotted path, plus the `kmingest.connectors`
entry-point group for plugins installed as packages. Admins add a source without touching this file.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from importlib.metadata import entry_points

from pydantic import BaseModel, ValidationError

from kmingest.config import SourceConfig
from kmingest.config_keys import valid_keys
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


def _unknown_key_fix(options: type[BaseModel], loc: Sequence[int | str]) -> str:
    keys = ", ".join(valid_keys(options, loc))
    if len(loc) > 1:
        return f"remove it or check its spelling; valid keys here: {keys}"
    common = ", ".join(sorted(SourceConfig.model_fields))
    return f"remove it or check its spelling; this connector's keys: {keys}; common source keys: {common}"


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
            unknown = e["type"] == "extra_forbidden"
            fix = _unknown_key_fix(cls.Options, e["loc"]) if unknown else "correct the value"
            hint = "" if "(fix: " in e["msg"] else f" (fix: {fix})"
            problems.append(f"{where}: sources[{source.name}].{key}: {e['msg']}{hint}")
        raise ConnectorConfigError("\n".join(problems)) from None
    return cls(source, options)
