"""Hatch build hook: compile the gettext catalogs (.po → .mo) into the wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        for po in Path(self.root, "generator", "locales").glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as handle:
                catalog = read_po(handle)
            with po.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
