"""CRM connector: the tabular connector preset for the standard CRM export layout (docs/sample-exports.md):
accounts, contacts (CSV), opportunities, activities, tickets (JSON Lines). `visibility` maps to ACLs
through `acl_map` (default: public -> everyone, sales-only -> the Sales department).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from connectors.tabular import TabularConnector
from connectors.tabular.options import TableSpec, TabularOptions


def _spec(**values: Any) -> TableSpec:
    return TableSpec.model_validate(values)


_COMMON = {"department": "owner_dept", "acl": "visibility"}
CRM_TABLES = (
    _spec(
        name="account",
        file="accounts.csv",
        id="account_id",
        title="name",
        updated_at="updated_at",
        author="owner",
        **_COMMON,
    ),
    _spec(
        name="contact",
        file="contacts.csv",
        id="contact_id",
        title="{name} ({title})",
        updated_at="updated_at",
        **_COMMON,
    ),
    _spec(
        name="opportunity",
        file="opportunities.jsonl",
        id="id",
        title="name",
        updated_at="updated_at",
        author="owner",
        **_COMMON,
    ),
    _spec(
        name="activity",
        file="activities.jsonl",
        id="id",
        title="subject",
        updated_at="created_at",
        author="owner",
        **_COMMON,
    ),
    _spec(
        name="ticket",
        file="tickets.jsonl",
        id="id",
        title="{id} {product}",
        updated_at="updated_at",
        **_COMMON,
    ),
)


DEFAULT_ACL_MAP: dict[str, tuple[str, ...]] = {"public": ("public",), "sales-only": ("dept:Sales",)}


class CrmOptions(TabularOptions):
    tables: tuple[TableSpec, ...] = CRM_TABLES
    acl_map: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_ACL_MAP))
    timezone: str = Field(default="+08:00", pattern=r"^[+-]\d{2}:\d{2}$")


class CrmConnector(TabularConnector):
    name = "crm"
    Options = CrmOptions
