"""Connector SDK: the base class connectors implement and the registry that finds them.

A connector turns one configured source into a stream of SourceRecords (or ExtractErrors for items it
could not read). Built-in connectors live in the top-level `connectors/` package; plugins register under
the `kmingest.connectors` entry-point group.
"""

from kmingest.connectors.base import Connector, ConnectorOptions, ExtractError
from kmingest.connectors.registry import available_connectors, build_connector, connector_class

__all__ = [
    "Connector",
    "ConnectorOptions",
    "ExtractError",
    "available_connectors",
    "build_connector",
    "connector_class",
]
