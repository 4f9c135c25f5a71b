"""The loader reads a site project, reporting every problem with its file and field path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import SiteError
from generator.load.loader import load_site
from generator.load.reader import MAX_FILE_BYTES


def problems(site: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(site)
    return [str(p) for p in caught.value.problems]


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), "utf-8")


def test_fixture_site_loads_both_groups(minisite: Path) -> None:
    site = load_site(minisite)
    assert [g.slug for g in site.groups] == ["shop", "spa"]
    spa = site.groups[1]
    assert spa.group.name == "Test Spa"
    assert [s.id for s in spa.sets] == [2, 1]
    assert spa.texts[0].title == "À propos"


def test_group_json_may_be_wrapped_or_bare(minisite: Path) -> None:
    site = load_site(minisite)
    assert site.groups[0].group.name == "Closed Shop"  # bare object
    assert site.groups[1].group.name == "Test Spa"  # {"group": {...}}


def test_every_problem_in_the_project_is_reported_at_once(minisite: Path) -> None:
    spa = minisite / "groups" / "spa"
    data = json.loads((spa / "group.json").read_text("utf-8"))
    data["group"]["usercolors"] = '{"main_bg": "red;}"}'
    data["group"]["timezone"] = "Europe/Paris"
    write_json(spa / "group.json", data)
    (minisite / "groups" / "shop" / "page.toml").write_text('theme = "nope"\n', "utf-8")
    found = problems(minisite)
    group_file = spa / "group.json"
    assert f"{group_file}: group.usercolors.main_bg: 'red;}}' is not a #RRGGBB colour" in found
    assert f"{group_file}: group.timezone: 'Europe/Paris' is not a timezone key; did you mean 'Paris'?" in found
    assert any(p.startswith(f"{minisite / 'groups' / 'shop' / 'page.toml'}: theme: no such theme") for p in found)


def test_list_files_report_the_record_index(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "interventions.json"
    data = json.loads(path.read_text("utf-8"))
    data["records"][2]["price"] = -5
    write_json(path, data)
    assert problems(minisite) == [f"{path}: records[2].price: -5 must be between 0 and 100000000"]


def test_bare_list_paths_have_no_prefix(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "calendars.json"
    write_json(path, [{"id": 20}])
    assert problems(minisite) == [f"{path}: [0].name: is required"]


def test_a_group_json_of_null_is_refused_not_skipped(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    path.write_text("null", "utf-8")
    assert problems(minisite) == [f"{path}: group: must be a JSON object"]


@pytest.mark.parametrize("name", ["calendars", "interventions"])
def test_a_list_file_of_null_is_refused(minisite: Path, name: str) -> None:
    path = minisite / "groups" / "shop" / f"{name}.json"
    path.write_text("null", "utf-8")
    assert problems(minisite) == [f'{path}: must be a list of records or {{"records": [...]}}']


def test_invalid_json_names_line_and_column(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    path.write_text('{"group": {\n  "name": "x",\n  oops\n}}', "utf-8")
    [problem] = problems(minisite)
    assert problem.startswith(f"{path}:3: invalid JSON: Expecting property name")


def test_duplicate_json_keys_are_an_error(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "group.json"
    path.write_text('{"name": "A", "name": "B", "timezone": "London"}', "utf-8")
    assert problems(minisite) == [f"{path}: name: duplicate key 'name'"]
    path.write_text('{"records": [{"id": 1}, {"id": 2, "x": {"a": 1, "a": 2}}]}', "utf-8")
    assert problems(minisite) == [f"{path}: records[1].x.a: duplicate key 'a'"]


def test_invalid_utf8_is_an_error_and_a_bom_is_accepted(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "group.json"
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + original)
    assert load_site(minisite).groups[0].group.name == "Closed Shop"
    path.write_bytes(original.replace(b"Closed", b"Clos\xe9d"))
    [problem] = problems(minisite)
    assert problem.startswith(f"{path}:1: is not valid UTF-8")


def test_deeply_nested_json_is_a_clean_error(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "interventions.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    assert problems(minisite) == [f"{path}: invalid JSON: nested too deeply"]


def test_unknown_references_between_files_are_errors(minisite: Path) -> None:
    spa = minisite / "groups" / "spa"
    write_json(spa / "calendars.json", {"records": [{"id": 10, "name": "Alice", "intervention_ids": [999]}]})
    assert problems(minisite) == [f"{spa / 'calendars.json'}: records[0].intervention_ids[0]: no intervention has id 999"]


def test_duplicate_ids_are_errors(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "calendars.json"
    write_json(path, [{"id": 20, "name": "A"}, {"id": 20, "name": "B"}])
    assert problems(minisite) == [f"{path}: [1].id: id 20 is used twice"]


@pytest.mark.parametrize("name", ["Bad Slug", "UPPER", "-lead", "trail-", "a..b", ".hidden"])
def test_group_folders_must_be_slugs(minisite: Path, name: str) -> None:
    (minisite / "groups" / "shop").rename(minisite / "groups" / name)
    assert problems(minisite) == [f"{minisite / 'groups' / name}: folder name is not a slug (lowercase letters, digits, -)"]


def test_missing_site_toml_and_group_json_are_reported(minisite: Path) -> None:
    (minisite / "site.toml").unlink()
    (minisite / "groups" / "shop" / "group.json").unlink()
    found = problems(minisite)
    assert f"{minisite / 'site.toml'}: is missing (run `bookgen new` to start a project)" in found
    assert f"{minisite / 'groups' / 'shop' / 'group.json'}: is missing (every group folder needs one)" in found


def test_site_toml_errors_have_section_paths(minisite: Path) -> None:
    path = minisite / "site.toml"
    path.write_text('[site]\nlocales = ["fr", "xx"]\nbogus = 1\n', "utf-8")
    found = problems(minisite)
    assert f"{path}: site.locales[1]: 'xx' is not a locale known to CLDR" in found
    assert f"{path}: site.bogus: is not a known setting" in found


def test_invalid_toml_is_reported_with_its_position(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text("language = \n", "utf-8")
    [problem] = problems(minisite)
    assert problem.startswith(f"{path}: invalid TOML: Invalid value (at line 1")


def test_page_toml_hours_must_be_ranges(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text('[hours]\nmon = ["19:00-09:00"]\nfunday = ["09:00-10:00"]\n', "utf-8")
    found = problems(minisite)
    assert f"{path}: hours.mon[0]: '19:00-09:00' closes before it opens" in found
    assert f"{path}: hours.funday: 'funday' is not a weekday (mon, tue, wed, thu, fri, sat, sun)" in found


@pytest.mark.parametrize("line", ['theme = "minimal"', "slot_step = 30", 'language = "en"'])
def test_a_page_setting_written_below_hours_is_one_problem_saying_where_it_belongs(minisite: Path, line: str) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text(f'[hours]\nmon = ["09:00-12:00"]\n{line}\n', "utf-8")
    key = line.split(" = ")[0]
    assert problems(minisite) == [
        f"{path}: hours: {key!r} is a page setting, not a weekday: move it above [hours] "
        "(in TOML every key below a [table] belongs to it)"
    ]


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ("20:00-24:30", "'24:30' is not a closing time (00:01 to 24:00, 24:00 = end of day)"),
        ("20:00-24:01", "'24:01' is not a closing time (00:01 to 24:00, 24:00 = end of day)"),
        ("20:00-25:00", "'25:00' is not a closing time (00:01 to 24:00, 24:00 = end of day)"),
        ("24:00-24:00", "'24:00' is not a time of day (00:00 to 23:59)"),
        ("09:60-10:00", "'09:60' is not a time of day (00:00 to 23:59)"),
        ("9h-12h", "'9h-12h' is not a range like '09:00-12:30'"),
        ("9:00-12:00", "'9:00-12:00' is not a range like '09:00-12:30'"),
        ("09:00-09:00", "'09:00-09:00' closes before it opens"),
    ],
)
def test_page_toml_refuses_what_cannot_be_an_opening_span(minisite: Path, span: str, message: str) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text(f'[hours]\nfri = ["08:00-09:00", "{span}"]\n', "utf-8")
    assert problems(minisite) == [f"{path}: hours.fri[1]: {message}"]


@pytest.mark.parametrize("span", ["20:00-24:00", "00:00-00:01", "23:59-24:00", "00:00-24:00", "09:00-09:01"])
def test_page_toml_accepts_spans_up_to_midnight(minisite: Path, span: str) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text(f'[hours]\nfri = ["{span}"]\n', "utf-8")
    assert load_site(minisite).groups[1].page.hours == {"fri": [span]}


def test_page_toml_refuses_overlapping_spans_of_a_day(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "page.toml"
    path.write_text('[hours]\nmon = ["09:00-12:00", "11:59-14:00"]\ntue = ["09:00-12:00", "12:00-14:00"]\n', "utf-8")
    assert problems(minisite) == [f"{path}: hours: mon: two ranges overlap"]


def test_large_files_are_refused_before_parsing(minisite: Path) -> None:
    path = minisite / "groups" / "shop" / "interventions.json"
    with path.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)
    assert problems(minisite) == [f"{path}: is 17,825,792 bytes; at most 16,777,216 bytes (16 MiB) are read"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                         st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                                      lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                                      max_leaves=12).map(lambda d: json.dumps(d).encode())))
def test_any_file_content_loads_or_fails_with_located_problems(minisite: Path, content: bytes) -> None:
    path = minisite / "groups" / "shop" / "group.json"
    path.write_bytes(content)
    try:
        load_site(minisite)
    except SiteError as error:
        assert error.problems
        assert all(p.file == str(path) for p in error.problems)


# Images: the logo and markdown images are files of the group, and really images.

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"


def test_markdown_images_beside_the_page_are_found(minisite: Path) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("# À propos\n\n![plan](plan%20acces.png) ![up](../logo.png)", "utf-8")
    (pages / "plan acces.png").write_bytes(PNG)
    (pages.parent / "logo.png").write_bytes(PNG)
    spa = load_site(minisite).groups[1]
    assert dict(spa.images) == {"plan%20acces.png": pages / "plan acces.png", "../logo.png": pages.parent / "logo.png"}
    assert pages / "plan acces.png" in spa.files


@pytest.mark.parametrize(
    ("src", "said"),
    [
        ("missing.png", "image 'missing.png' is not a file in spa/pages/"),
        ("../../shop/page.toml", "image '../../shop/page.toml' is outside the group's folder"),
        ("fake.png", "image 'fake.png': 'fake.png' is not a PNG image (its first bytes say otherwise)"),
    ],
)
def test_a_markdown_image_that_is_not_a_file_of_the_group_is_an_error(minisite: Path, src: str, said: str) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text(f"# À propos\n\n![x]({src})", "utf-8")
    (pages / "fake.png").write_text("<script>alert(1)</script>", "utf-8")
    assert problems(minisite) == [f"{pages / 'about.md'}: {said}"]


def test_remote_and_site_absolute_images_are_not_files_to_check(minisite: Path) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("![a](https://cdn.test/a.png) ![b](/img/b.png)", "utf-8")
    assert load_site(minisite).groups[1].images == ()


def test_an_svg_logo_with_a_script_is_an_error_on_the_logo_field(minisite: Path) -> None:
    spa = minisite / "groups" / "spa"
    (spa / "page.toml").write_text('logo = "logo.svg"\n', "utf-8")
    (spa / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "utf-8")
    assert problems(minisite) == [
        f"{spa / 'page.toml'}: logo: 'logo.svg': SVG element <script> is not accepted (only drawing, no script or links)"
    ]


@pytest.mark.parametrize("extra", [0, 1])
def test_a_markdown_image_is_read_within_the_file_size_limit(minisite: Path, extra: int) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("![Plan](plan.png)", "utf-8")
    with open(pages / "plan.png", "wb") as handle:
        handle.write(PNG)
        handle.truncate(MAX_FILE_BYTES + extra)  # sparse: cheap to make
    if extra:
        assert problems(minisite) == [f"{pages / 'plan.png'}: is 16,777,217 bytes; at most 16,777,216 bytes (16 MiB) are read"]
    else:
        assert dict(load_site(minisite).groups[1].images) == {"plan.png": pages / "plan.png"}


# -- issue 17: links, odd files, reserved names and numbers ------------------------------------

import os  # noqa: E402

from generator.load.loader import RESERVED_SLUGS  # noqa: E402


def test_a_pages_folder_linked_outside_the_site_is_refused(minisite: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "diary.md").write_text("# Private\n", "utf-8")
    pages = minisite / "groups" / "spa" / "pages"
    for page in pages.iterdir():
        page.unlink()
    pages.rmdir()
    pages.symlink_to(notes)
    assert problems(minisite) == [f"{pages / 'diary.md'}: is in a linked folder that leads outside the site project"]


def test_a_group_folder_linked_outside_the_site_is_refused(minisite: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (minisite / "groups" / "shop").rename(elsewhere)
    (minisite / "groups" / "shop").symlink_to(elsewhere)
    assert problems(minisite) == [f"{minisite / 'groups' / 'shop'}: is a link to a folder outside the site project"]


def test_folders_linked_inside_the_site_load(minisite: Path) -> None:
    shared = minisite / "shared-pages"
    (minisite / "groups" / "spa" / "pages").rename(shared)
    (minisite / "groups" / "spa" / "pages").symlink_to(shared)
    assert load_site(minisite).groups[1].texts[0].title == "À propos"


def test_a_fifo_where_a_file_is_expected_is_refused_without_waiting(minisite: Path) -> None:
    os.mkfifo(minisite / "groups" / "spa" / "pages" / "pipe.md")
    os.unlink(minisite / "groups" / "shop" / "calendars.json")
    os.mkfifo(minisite / "groups" / "shop" / "calendars.json")
    assert problems(minisite) == [
        f"{minisite / 'groups' / 'shop' / 'calendars.json'}: is a FIFO (named pipe); bookgen reads only regular files (remove it)",
        f"{minisite / 'groups' / 'spa' / 'pages' / 'pipe.md'}: is a FIFO (named pipe); bookgen reads only regular files (remove it)",
    ]


def test_an_unreadable_pages_folder_is_a_problem_not_an_empty_folder(
    minisite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        if Path(path).name == "pages":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)  # root ignores chmod 000
    assert problems(minisite) == [f"{minisite / 'groups' / 'spa' / 'pages'}: cannot be read (Permission denied)"]


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
def test_reserved_slugs_are_located_errors(minisite: Path, slug: str) -> None:
    (minisite / "groups" / "shop").rename(minisite / "groups" / slug)
    found = problems(minisite)
    assert len(found) == 1 and found[0].startswith(f"{minisite / 'groups' / slug}: folder name {slug!r} is reserved")


@pytest.mark.parametrize("slug", ["api", "sandbox"])
def test_a_group_named_like_a_path_the_gateway_or_the_preview_answers_is_refused(minisite: Path, slug: str) -> None:
    # /api/ is the gateway's in the documented same-host deployment and in serve; /sandbox/ is
    # serve's own: the group's pages were built but answered 404 there.
    (minisite / "groups" / "shop").rename(minisite / "groups" / slug)
    found = problems(minisite)
    assert len(found) == 1 and found[0].startswith(f"{minisite / 'groups' / slug}: folder name {slug!r} is reserved: ")
    assert f"/{slug}/" in found[0] and found[0].endswith("; rename the folder")


@pytest.mark.parametrize("slug", ["apis", "api-1", "sandboxes", "my-sandbox", "asset"])
def test_names_that_only_resemble_a_reserved_one_are_groups_like_any_other(minisite: Path, slug: str) -> None:
    (minisite / "groups" / "shop").rename(minisite / "groups" / slug)
    assert slug in {group.slug for group in load_site(minisite).groups}


@pytest.mark.parametrize("name", ["API", "Sandbox", "Assets"])
def test_pull_names_a_new_group_around_the_reserved_names(tmp_path: Path, name: str) -> None:
    from generator.remote.pull import GroupBundle, assign_slugs

    bundle = GroupBundle(id=62, group={"name": name}, lists={})
    assert assign_slugs([bundle], tmp_path, {}) == {62: f"{name.lower()}-62"}


@pytest.mark.parametrize("file", ["group.json", "interventions.json", "page.toml"])
@pytest.mark.parametrize("digits", [4300, 4301, 5000])
def test_numbers_beyond_the_int_conversion_limit_are_located_errors(minisite: Path, file: str, digits: int) -> None:
    path = minisite / "groups" / "spa" / file
    number = "9" * digits
    if file == "page.toml":
        path.write_text(f"x_big = {number}\n{path.read_text('utf-8')}", "utf-8")
    else:
        path.write_text(path.read_text("utf-8").replace('"name": ', f'"x_big": {number}, "name": ', 1), "utf-8")
    try:
        load_site(minisite)
        found = []
    except SiteError as error:
        found = [str(problem) for problem in error.problems]
    if digits <= 4300:  # Python's limit: still a number (the field itself may be refused)
        assert not any("4300 digits" in line for line in found)
    else:
        assert found == [f"{path}: invalid {'TOML' if file == 'page.toml' else 'JSON'}: a number has over 4300 digits"]


@pytest.mark.parametrize("value", [1e400, -1e400, "1e400", 0, -3, 1.5, True, [], {}, "abc"])
def test_a_group_id_that_is_not_a_positive_whole_number_is_a_located_error(minisite: Path, value: object) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["id"] = value
    path.write_text(json.dumps(data), "utf-8")
    assert any(line.startswith(f"{path}: group.id: ") for line in problems(minisite))


@pytest.mark.parametrize("value", [1, "42", 2**31 - 1, None])
def test_a_valid_group_id_loads(minisite: Path, value: object) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["id"] = value
    path.write_text(json.dumps(data), "utf-8")
    load_site(minisite)


def test_check_refuses_the_odd_files_a_build_refuses(minisite: Path) -> None:
    os.mkfifo(minisite / "groups" / "spa" / "stray")  # not a file the loader reads
    assert problems(minisite) == [f"{minisite / 'groups' / 'spa' / 'stray'}: is a FIFO (named pipe); "
                                  "bookgen reads only regular files (remove it)"]  # fmt: skip


def _project_theme(site: Path) -> Path:
    """A project theme ``mine`` (extending classic) used by the spa group."""
    folder = site / "themes" / "mine"
    (folder / "templates").mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    (site / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    return folder


def test_a_theme_template_linked_outside_the_site_is_refused(minisite: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n", "utf-8")
    template = _project_theme(minisite) / "templates" / "booking.html"
    template.symlink_to(secret)
    assert problems(minisite) == [f"{template}: is a link to a file outside the site project"]


@pytest.mark.parametrize("name", ["templates/booking.html", "templates/partials/contact.html", "static/theme.css"])
def test_a_theme_file_that_is_not_utf8_is_a_located_problem(minisite: Path, name: str) -> None:
    path = _project_theme(minisite) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"body {}\n\xff")
    assert problems(minisite) == [f"{path}:2: is not valid UTF-8 (byte 8)"]


def test_a_project_theme_with_text_templates_and_other_files_loads(minisite: Path) -> None:
    folder = _project_theme(minisite)
    (folder / "static" / "theme.css").write_text("body { color: #111; }\n", "utf-8")
    (folder / "static" / "mark.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff")  # not text, not read as text
    assert [g.slug for g in load_site(minisite).groups] == ["shop", "spa"]


def test_groups_loaded_with_the_builds_settings_do_not_read_site_toml_again(minisite: Path) -> None:
    settings = load_site(minisite, only=lambda slug: False)
    (minisite / "site.toml").write_text("not = [valid", "utf-8")  # read now, it would be a problem
    site = load_site(minisite, only={"spa"}.__contains__, settings=settings)
    assert site.config == settings.config
    assert [source.slug for source in site.groups] == ["spa"]
    with pytest.raises(SiteError):
        load_site(minisite, only={"spa"}.__contains__)


def test_a_groups_own_theme_is_still_checked_with_the_builds_settings(minisite: Path) -> None:
    settings = load_site(minisite, only=lambda slug: False)
    (minisite / "groups" / "shop" / "page.toml").write_text('theme = "nope"\n', "utf-8")
    with pytest.raises(SiteError, match="no such theme"):
        load_site(minisite, only={"shop"}.__contains__, settings=settings)
