"""The keys a config model allows at the place a validation error points to: error messages for an unknown
key list them (kmingest.config for the config file, kmingest.connectors.registry for connector options).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

from pydantic import BaseModel


def _nested_model(annotation: object) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `tuple[TableSpec, ...]` or `DagConfig | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def valid_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys allowed where `loc` (a pydantic error location, ending in the bad key) points."""
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            continue  # a list index or a dict key: the item model stays the same
        nested = _nested_model(field.annotation)
        if nested is None:
            return []
        model = nested
    return sorted(model.model_fields)
