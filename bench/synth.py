"""A realistic synthetic site project for benchmarks and scale tests.

``make_site(path, groups=N, locales=L)`` writes N groups (3–8 calendars, 10–40
services in 3–6 sets, two markdown pages, random usercolors, all seven currencies,
every calendarChoice) in L locales. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

LOCALES = ["fr", "en", "de", "es", "it", "nl", "ar"]
CURRENCIES = ["EUR", "CAD", "XPF", "XAF", "GBP", "CHF", "USD"]
TIMEZONES = ["Paris", "London", "Berlin", "Madrid", "Rome", "Amsterdam", "Eastern Time (US & Canada)", "Bern", "Hawaii"]
WORDS = ["calme", "soin", "massage", "coupe", "barbe", "couleur", "vélo", "réparation", "visage", "détente", "rapide", "complet", "express"]


def _colour(rng: random.Random, light: bool) -> str:
    low, high = (200, 255) if light else (0, 70)
    return "#" + "".join(f"{rng.randint(low, high):02X}" for _ in range(3))


def _group(rng: random.Random, index: int) -> dict:
    group = {
        "id": 10_000 + index,
        "urlname": f"business-{index}",
        "name": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {index}",
        "preposition": rng.choice(["chez", "à", "au", ""]),
        "address": f"{rng.randint(1, 200)} rue {rng.choice(WORDS)}",
        "zipcode": f"{rng.randint(10000, 99999)}",
        "city": rng.choice(["Paris", "Lyon", "Genève", "Montréal", "Papeete", "London"]),
        "country": "France",
        "phone": f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        "timezone": rng.choice(TIMEZONES),
        "currency_code": CURRENCIES[index % len(CURRENCIES)],
        "calendarChoice": index % 3,
        "anyCalendar": rng.choice([0, 1]),
        "mailreminder": rng.choice([0, 60, 1440]),
        "smsreminder": rng.choice([0, 120, 240]),
        "max_multirdvs": rng.randint(1, 3),
        "country_code": "33",
    }
    if rng.random() < 0.8:
        dark, light = _colour(rng, False), _colour(rng, True)
        group["usercolors"] = json.dumps({
            "page_bg": dark, "page_text": light, "main_bg": dark, "main_text": light,
            "content_bg": light, "content_text": dark, "content_links": dark,
        })  # fmt: skip
    return group


def _group_files(rng: random.Random, folder: Path, index: int, locales: list[str]) -> None:
    folder.mkdir(parents=True)
    (folder / "group.json").write_text(json.dumps({"group": _group(rng, index)}, ensure_ascii=False), "utf-8")
    sets = [{"id": s + 1, "name": f"{rng.choice(WORDS).title()} {s}", "sort": s} for s in range(rng.randint(3, 6))]
    services = [
        {"id": 100 + i, "name": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}",
         "length": rng.choice([15, 30, 45, 60, 90]), "price": rng.randint(5, 200) * 100,
         "interventionset_id": rng.choice(sets)["id"], "sort": i}
        for i in range(rng.randint(10, 40))
    ]  # fmt: skip
    ids = [s["id"] for s in services]
    calendars = [
        {"id": 1 + c, "name": f"Person {c}", "intervention_ids": sorted(rng.sample(ids, k=max(1, len(ids) // 2)))}
        for c in range(rng.randint(3, 8))
    ]
    (folder / "interventionsets.json").write_text(json.dumps(sets), "utf-8")
    (folder / "interventions.json").write_text(json.dumps({"records": services}), "utf-8")
    (folder / "calendars.json").write_text(json.dumps({"records": calendars}), "utf-8")
    (folder / "page.toml").write_text(f'language = "{locales[0]}"\n', "utf-8")
    pages = folder / "pages"
    pages.mkdir()
    (pages / "about.md").write_text(f"# About\n\nA **{rng.choice(WORDS)}** place.\n\n- one\n- two\n", "utf-8")
    (pages / "access.md").write_text("# Access\n\n| Day | Hours |\n|---|---|\n| Mon | 9–19 |\n", "utf-8")


def make_site(path: Path, *, groups: int, locales: int, seed: int = 1) -> Path:
    """Write the synthetic project into ``path`` (which must not exist); return it."""
    rng = random.Random(seed)
    chosen = LOCALES[:locales]
    path.mkdir(parents=True)
    (path / "site.toml").write_text(
        '[site]\ntitle = "Synthetic"\nbase_url = "https://book.test/"\n'
        f"locales = {json.dumps(chosen)}\ndefault_locale = \"{chosen[0]}\"\n"
        '[booking]\napi_base_url = "/api/v1"\nhosted_module_url = "https://www.clicrdv.com/{urlname}"\n',
        "utf-8",
    )
    for index in range(groups):
        _group_files(rng, path / "groups" / f"business-{index:05d}", index, chosen)
    return path
