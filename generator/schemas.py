"""JSON Schemas of the site project's files, so editors can validate and complete them."""

from __future__ import annotations

from typing import Any

from .load.config import PageConfig, SiteConfig
from .models import Calendar, Group, Intervention, InterventionSet

__all__ = ["all_schemas"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _records_schema(item: dict[str, Any], title: str) -> dict[str, Any]:
    """A list file: a bare list or ``{"records": [...]}``, as the API returns it."""
    defs = item.pop("$defs", {})
    array = {"type": "array", "items": item}
    return {
        "$schema": _DIALECT,
        "title": title,
        "$defs": defs,
        "anyOf": [array, {"type": "object", "properties": {"records": array}, "required": ["records"]}],
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema for every file of a site project."""
    group = Group.model_json_schema()
    defs = group.pop("$defs", {})
    return {
        "group.schema.json": {
            "$schema": _DIALECT,
            "title": "group.json",
            "$defs": defs,
            "anyOf": [group, {"type": "object", "properties": {"group": group}, "required": ["group"]}],
        },
        "calendars.schema.json": _records_schema(Calendar.model_json_schema(), "calendars.json"),
        "interventions.schema.json": _records_schema(Intervention.model_json_schema(), "interventions.json"),
        "interventionsets.schema.json": _records_schema(
            InterventionSet.model_json_schema(), "interventionsets.json"
        ),
        "page.schema.json": {"$schema": _DIALECT, **PageConfig.model_json_schema()},
        "site.schema.json": {"$schema": _DIALECT, **SiteConfig.model_json_schema()},
    }
