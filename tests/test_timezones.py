"""The seed's timezone table is complete and every key resolves on a bare machine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from generator.timezones import TIMEZONES, suggest_timezone_key, zone_for

SEED = Path(__file__).parent.parent.parent / "shared" / "seed" / "group-api.txt"


def test_table_has_all_142_keys_with_the_seeds_quirks() -> None:
    assert len(TIMEZONES) == 142
    assert TIMEZONES["Bern"] == "Europe/Berlin"
    assert TIMEZONES["Kyev"] == "Europe/Kiev"
    assert TIMEZONES["Kathmandu"] == "Asia/Katmandu"
    assert TIMEZONES["Greenland"] == "America/Godthab"


def test_table_matches_the_seed_file_when_present() -> None:
    if not SEED.exists():  # the seed lives beside the repo in the workplace, not in a wheel
        return
    pairs = re.findall(r'"([^"]+)" => "([^"]+)"', SEED.read_text("utf-8"))
    assert dict(pairs) == TIMEZONES


def test_every_key_resolves_from_the_tzdata_package_alone() -> None:
    # An empty PYTHONTZPATH hides the system database: only the tzdata package is left,
    # as on a slim container where legacy names (Asia/Katmandu...) are not installed.
    code = (
        "import json, zoneinfo, sys; from generator.timezones import TIMEZONES;"
        "[zoneinfo.ZoneInfo(v) for v in TIMEZONES.values()];"
        "print(json.dumps(sorted(zoneinfo.TZPATH)))"
    )
    env = {**os.environ, "PYTHONTZPATH": ""}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_zone_for_gives_the_iana_zone() -> None:
    assert str(zone_for("Paris")) == "Europe/Paris"
    assert str(zone_for("New Caledonia")) == "Pacific/Noumea"


def test_suggestions_cover_iana_names_case_and_typos() -> None:
    assert suggest_timezone_key("Europe/London") == "London"
    assert suggest_timezone_key("TOKYO") == "Tokyo"
    assert suggest_timezone_key("Pacific/Noumea") == "New Caledonia"
    assert suggest_timezone_key("Atlantis/Nowhere") is None
