"""``bookgen pull``: copy groups from the Group API into a site project's ``groups/<slug>/``.

Everything is fetched and validated before anything is written, and then written
all or nothing (:func:`.files.write_all`), so a failed pull leaves the project as it
was. Files are written deterministically (sorted keys, two-space indent, records
sorted by id, trailing newline) and only when their text changes, so a pull reads as
a reviewable diff and leaves untouched files' mtimes alone. A secret the API echoes
(the key, the password, the session id) is masked before validation and reported
by field, never written (reliability review D22). ``page.toml`` and ``pages/``
belong to the project and are never overwritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, SiteError
from ..load.config import SiteConfig
from ..load.loader import RESERVED_SLUGS, SLUG
from ..load.reader import Reader, read_json
from ..load.records import KINDS, check_group, check_references
from ..plan.slugs import slugify
from .client import PRODUCTION_API, GroupAPI
from .credentials import scrub
from .files import write_all
from .transport import ApiError

__all__ = [
    "GroupBundle",
    "PullResult",
    "existing_groups",
    "fetch_bundle",
    "pull_site",
    "render_bundle",
    "site_api_url",
]

PAGE_TOML = """\
# What the Group API does not hold; `bookgen pull` never overwrites this file.
# language = "fr"
# theme = "classic"
# locales = ["fr", "en"]
"""


@dataclass(frozen=True)
class GroupBundle:
    """One group as the API returns it: raw records, before validation."""

    id: int
    group: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class PulledGroup:
    id: int
    slug: str
    name: str
    status: str  # "created", "updated" or "unchanged"


@dataclass
class PullResult:
    groups: list[PulledGroup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def site_api_url(site: Path, override: str | None = None) -> tuple[str, str]:
    """(URL, where it came from): ``override`` (``--api-url``), else site.toml's
    ``[booking] api_base_url`` if absolute, else production."""
    if override is not None:
        return override, "--api-url"
    config_file = site / "site.toml"
    if not config_file.is_file():
        return PRODUCTION_API, "default API URL"
    reader = Reader(site)  # the loader's reader and model: the same checks and messages as a build
    config = reader.settings(SiteConfig, config_file)
    if reader.problems:
        raise SiteError(reader.problems)
    url = config.booking.api_base_url
    if url.startswith(("http://", "https://")):
        return url, f"{config_file}: booking.api_base_url"
    return PRODUCTION_API, "default API URL"


def _int_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value.strip()):
        return int(value)
    return None


def existing_groups(site: Path) -> dict[int, str]:
    """Group id → slug for the project's folders whose ``group.json`` holds an id."""
    found: dict[int, str] = {}
    problems = []
    groups_dir = site / "groups"
    folders = sorted(p for p in groups_dir.iterdir() if p.is_dir()) if groups_dir.is_dir() else []
    for folder in folders:
        try:
            data = read_json((folder / "group.json").read_text("utf-8-sig"))
        except (OSError, ValueError):
            continue  # not ours to judge here; `bookgen check` reports it
        if isinstance(data, dict) and set(data) == {"group"}:
            data = data["group"]
        group_id = _int_id(data.get("id")) if isinstance(data, dict) else None
        if group_id is None:
            continue
        if group_id in found:
            other = groups_dir / found[group_id] / "group.json"
            problems.append(
                Problem(str(folder / "group.json"), "group.id", f"group {group_id} is also in {other}")
            )
            continue
        found[group_id] = folder.name
    if problems:
        raise SiteError(problems)
    return found


def assign_slugs(bundles: Sequence[GroupBundle], site: Path, known: dict[int, str]) -> dict[int, str]:
    """A unique folder name per group: kept from an earlier pull, else from urlname or name."""
    groups_dir = site / "groups"
    taken = {p.name for p in groups_dir.iterdir()} if groups_dir.is_dir() else set()
    taken |= RESERVED_SLUGS
    slugs = {b.id: known[b.id] for b in bundles if b.id in known}
    for bundle in sorted(bundles, key=lambda b: b.id):
        if bundle.id in slugs:
            continue
        raw = bundle.group
        names = [raw.get("urlname"), raw.get("name")]
        base = next((slugify(n) for n in names if isinstance(n, str) and slugify(n)), f"group-{bundle.id}")
        slug = base
        if slug in taken:
            suffix = f"-{bundle.id}"
            slug = base[: 64 - len(suffix)].rstrip("-") + suffix
        counter = 2
        while slug in taken:
            suffix = f"-{bundle.id}-{counter}"
            slug, counter = base[: 64 - len(suffix)].rstrip("-") + suffix, counter + 1
        assert SLUG.fullmatch(slug), slug
        taken.add(slug)
        slugs[bundle.id] = slug
    return slugs


def _deleted(record: dict[str, Any]) -> bool:
    return record.get("deleted") in (True, 1, "1", "true")


def _association(
    api: GroupAPI, group_id: int, lists: dict[str, list[dict[str, Any]]]
) -> dict[int, list[int]]:
    """Calendar id → ids of the services it offers, asking whichever side needs fewer requests."""
    calendar_ids = [i for i in (_int_id(c.get("id")) for c in lists["calendars"]) if i is not None]
    service_ids = [
        i for i in (_int_id(s.get("id")) for s in lists["interventions"] if not _deleted(s)) if i is not None
    ]
    offered: dict[int, set[int]] = {c: set() for c in calendar_ids}
    services = set(service_ids)
    if calendar_ids and service_ids and len(calendar_ids) <= len(service_ids):
        for calendar_id in calendar_ids:
            for record in api.list_records(group_id, "interventions", {"calendar_ids[]": calendar_id}):
                service = _int_id(record.get("id"))
                if service in services:
                    offered[calendar_id].add(service)
    elif calendar_ids and service_ids:
        for service_id in service_ids:
            for record in api.list_records(group_id, "calendars", {"intervention_ids[]": service_id}):
                calendar = _int_id(record.get("id"))
                if calendar in offered:
                    offered[calendar].add(service_id)
    return {calendar: sorted(ids) for calendar, ids in offered.items()}


def fetch_bundle(api: GroupAPI, group_id: int) -> GroupBundle:
    """The group, its three lists and the calendar/service association."""
    group = api.get_group(group_id)
    served_id = _int_id(group.setdefault("id", group_id))
    if served_id != group_id:
        raise ApiError(
            f"GET /groups/{group_id}.json answered with group {group.get('id')!r}", where=f"group {group_id}"
        )
    group["id"] = group_id
    lists = {kind: api.list_records(group_id, kind) for kind in KINDS}
    offered = _association(api, group_id, lists)
    lists["calendars"] = [
        {**record, "intervention_ids": offered[record_id]}
        if (record_id := _int_id(record.get("id"))) is not None and record_id in offered
        else record
        for record in lists["calendars"]
    ]
    return GroupBundle(id=group_id, group=group, lists=lists)


def scrub_bundle(bundle: GroupBundle, secrets: Sequence[str]) -> tuple[GroupBundle, list[str]]:
    """``bundle`` with every secret masked, and a warning per field that held one."""
    group, paths = scrub(bundle.group, secrets, "group")
    lists: dict[str, list[dict[str, Any]]] = {}
    for kind, records in bundle.lists.items():
        lists[kind] = []
        for index, record in enumerate(records):
            record_id = _int_id(record.get("id"))
            label = f"{kind}(id {record_id})" if record_id is not None else f"{kind}[{index}]"
            clean, more = scrub(record, secrets, label)
            lists[kind].append(clean)
            paths += more
    warnings = [
        f"API group {bundle.id}: {path}: held a secret (the API key, the Pro password or the session); "
        "written as ***"
        for path in paths
    ]
    return GroupBundle(bundle.id, group, lists), warnings


def check_bundle(bundle: GroupBundle) -> list[Problem]:
    """Every reason the API's data would not load as a site project, located by group:
    the loader's own checks (:mod:`generator.load.records`) on the records as fetched."""
    where = f"API group {bundle.id}"

    def locate(kind: str, index: int, record: Any) -> tuple[str, str]:
        if kind == "group":
            return where, "group"
        record_id = _int_id(record.get("id")) if isinstance(record, dict) else None
        return where, f"{kind}(id {record_id})" if record_id is not None else f"{kind}[{index}]"

    records = check_group(bundle.group, bundle.lists, locate)
    if records.problems:
        return records.problems
    return check_references(records, bundle.lists, locate)


def _dump(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render_bundle(bundle: GroupBundle) -> dict[str, str]:
    """File name → text, byte-for-byte the same for the same API data."""
    files = {"group.json": _dump({"group": bundle.group})}
    for kind, records in bundle.lists.items():
        ordered = sorted(records, key=lambda r: (_int_id(r.get("id")) or 0, _dump(r)))
        files[f"{kind}.json"] = _dump({"records": ordered})
    return files


def _fetch_all(api: GroupAPI, ids: Sequence[int], jobs: int) -> list[GroupBundle]:
    if jobs <= 1 or len(ids) <= 1:
        return [fetch_bundle(api, group_id) for group_id in ids]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(fetch_bundle, api, group_id) for group_id in ids]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def pull_site(
    site: Path,
    api: GroupAPI,
    group_ids: Sequence[int] = (),
    *,
    every: bool = False,
    jobs: int = 4,
) -> PullResult:
    """Fetch groups into ``site/groups/``: ``group_ids``, or every group the key can read
    (``every``), or, when neither is given, the groups the site already holds.

    Raises :class:`ApiError` or :class:`SiteError` before writing anything.
    """
    if not site.is_dir():
        raise SiteError([Problem(str(site), "", "is not a folder (run `bookgen new` first)")])
    known = existing_groups(site)
    result = PullResult()
    if every:
        ids = [_int_id(record.get("id")) for record in api.list_groups()]
        if None in ids:
            raise ApiError("GET /groups listed a group without a numeric id")
        group_ids = [i for i in ids if i is not None]
        result.warnings.extend(
            f"{site / 'groups' / slug} holds group {group_id}, which the API no longer lists; left as is"
            for group_id, slug in sorted(known.items())
            if group_id not in group_ids
        )
    elif not group_ids:
        group_ids = sorted(known)
        if not group_ids:
            message = "holds no pulled groups yet; name them with --group ID or use --all"
            raise SiteError([Problem(str(site / "groups"), "", message)])
    unique_ids = sorted(set(group_ids))
    bundles = []
    for bundle in _fetch_all(api, unique_ids, jobs):
        bundle, warnings = scrub_bundle(bundle, api.secrets())
        bundles.append(bundle)
        result.warnings.extend(warnings)
    problems = [problem for bundle in bundles for problem in check_bundle(bundle)]
    if problems:
        raise SiteError(problems)

    slugs = assign_slugs(bundles, site, known)
    files: dict[Path, bytes] = {}
    created = set()
    for bundle in bundles:
        folder = site / "groups" / slugs[bundle.id]
        if not folder.exists():
            created.add(bundle.id)
        for name, text in render_bundle(bundle).items():
            files[folder / name] = text.encode("utf-8")
        if not (folder / "page.toml").exists():
            files[folder / "page.toml"] = PAGE_TOML.encode("utf-8")
    changed = {path.parent for path in write_all(files)}
    for bundle in bundles:
        folder = site / "groups" / slugs[bundle.id]
        status = "created" if bundle.id in created else "updated" if folder in changed else "unchanged"
        name = str(bundle.group.get("name", ""))
        result.groups.append(PulledGroup(bundle.id, slugs[bundle.id], name, status))
    return result
