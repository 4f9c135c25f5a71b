"""bookgen build writes every page, or nothing: the previous output survives any failure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

import generator
import generator.publish.incremental as incremental_module
import generator.publish.manifest as manifest_module
import generator.render.parallel as workers_module
from generator.build import build
from generator.errors import SiteError
from generator.models import Group
from generator.publish.atomic import BuildLocked, locked
from generator.publish.manifest import code_digest

from .test_models import valid_groups

ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=300),
                      st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5)))  # fmt: skip


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with its sha256: 'byte-for-byte' made checkable."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_group_and_locale_gets_a_page_and_a_widget(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(minisite, out)
    for slug in ("spa", "shop"):
        for locale in ("fr", "en"):
            assert (out / slug / locale / "index.html").is_file()
            assert (out / slug / locale / "widget.html").is_file()
    assert result.pages == 8
    assert (out / "index.html").is_file()
    assert (out / "sitemap.xml").is_file()


def test_manifest_lists_every_file_with_its_sha256(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    files = snapshot(out)
    del files["manifest.json"]
    assert manifest["files"] == files


def test_assets_are_content_hashed_and_shared_between_groups(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    css = sorted(p.name for p in (out / "assets").glob("*.css"))
    # One stylesheet per theme in use, plus the site palette of the directory page.
    assert [name.split(".")[0] for name in css] == ["classic", "minimal", "site"]
    for name in css:
        digest = name.split(".")[1]
        assert hashlib.sha256((out / "assets" / name).read_bytes()).hexdigest().startswith(digest)


PLAN = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'


def test_markdown_images_are_published_under_hashed_names_and_linked(minisite: Path, tmp_path: Path) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("# À propos\n\n![Plan d'accès](Plan%20Accès.svg)\n", "utf-8")
    (pages / "Plan Accès.svg").write_bytes(PLAN)
    out = tmp_path / "out"
    build(minisite, out)
    [published] = (out / "spa").glob("plan-acces.*.svg")
    assert published.read_bytes() == PLAN
    assert hashlib.sha256(PLAN).hexdigest().startswith(published.name.split(".")[1])
    for locale in ("fr", "en"):
        page = (out / "spa" / locale / "index.html").read_text("utf-8")
        assert f'src="../../spa/{published.name}"' in page
        assert (out / "spa" / locale / f"../../spa/{published.name}").resolve() == published.resolve()


def test_editing_an_image_rebuilds_its_group(minisite: Path, tmp_path: Path) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("![Plan](plan.svg)", "utf-8")
    (pages / "plan.svg").write_bytes(PLAN)
    out = tmp_path / "out"
    build(minisite, out)
    (pages / "plan.svg").write_bytes(PLAN.replace(b'width="4"', b'width="3"'))
    result = build(minisite, out)
    assert result.rendered == 1
    [published] = (out / "spa").glob("plan.*.svg")
    assert b'width="3"' in published.read_bytes()
    assert published.name in (out / "spa" / "fr" / "index.html").read_text("utf-8")


def test_an_image_from_another_origin_gives_a_warning_and_fails_strict(minisite: Path, tmp_path: Path) -> None:
    (minisite / "groups" / "spa" / "pages" / "about.md").write_text("![Plan](https://cdn.test/plan.png)", "utf-8")
    result = build(minisite, tmp_path / "out")
    assert any("pages/about.md: image 'https://cdn.test/plan.png' is on another origin" in w for w in result.warnings)
    with pytest.raises(SiteError):
        build(minisite, tmp_path / "strict", strict=True)


def test_a_failed_build_leaves_the_previous_output_byte_for_byte(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    before = snapshot(out)
    (minisite / "groups" / "spa" / "group.json").write_text('{"name": "x", "timezone": "Mars"}', "utf-8")
    with pytest.raises(SiteError):
        build(minisite, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.staging")) == []


def test_invalid_input_writes_nothing_when_there_was_no_output(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (minisite / "groups" / "spa" / "group.json").write_text("{", "utf-8")
    with pytest.raises(SiteError):
        build(minisite, out)
    assert not out.exists()


def test_a_broken_template_fails_cleanly_with_file_and_line(minisite: Path, tmp_path: Path) -> None:
    theme = minisite / "themes" / "broken" / "templates" / "partials"
    theme.mkdir(parents=True)
    (theme.parent.parent / "theme.toml").write_text('name = "broken"\nextends = "classic"\n', "utf-8")
    (theme / "contact.html").write_text("<p>\n{% if %}\n", "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "broken"\n', "utf-8")
    with pytest.raises(SiteError) as caught:
        build(minisite, tmp_path / "out")
    [problem] = caught.value.problems
    assert problem.file.endswith("themes/broken/templates/partials/contact.html")
    assert problem.line == 2
    assert "template syntax error" in problem.message


def test_a_rebuild_replaces_the_tree_without_stale_files(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    (out / "stale.txt").write_text("old", "utf-8")
    build(minisite, out)
    assert not (out / "stale.txt").exists()


def test_a_second_build_into_the_same_output_waits_for_the_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with locked(out):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(5)
    with pytest.raises(BuildLocked, match="another build is writing"), locked(out, wait=0.2):
        pass
    release.set()
    thread.join()
    with locked(out, wait=0.2):
        pass


def test_strict_fails_on_contrast_below_wcag_aa(minisite: Path, tmp_path: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["usercolors"] = {"content_bg": "#FFFFFF", "content_text": "#AAAAAA"}
    path.write_text(json.dumps(data), "utf-8")
    assert any("panel text" in w for w in build(minisite, tmp_path / "a").warnings)
    with pytest.raises(SiteError) as caught:
        build(minisite, tmp_path / "b", strict=True)
    assert any("content_text #aaaaaa on content_bg #ffffff" in p.message for p in caught.value.problems)
    assert not (tmp_path / "b").exists()


def test_the_bundled_demo_builds_every_group_in_every_locale(demo_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(demo_site, out)
    assert result.groups == 5
    assert result.pages == 2 * (4 * 7 + 3)  # clinique-du-lac is built in fr, de and en only
    assert (out / "clinique-du-lac" / "de" / "index.html").is_file()
    assert not (out / "clinique-du-lac" / "ar").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=valid_groups)
def test_any_valid_group_builds_and_shows_its_name_escaped(minisite: Path, tmp_path_factory, data) -> None:
    (minisite / "groups" / "shop" / "group.json").write_text(json.dumps(data), "utf-8")
    out = tmp_path_factory.mktemp("out")
    build(minisite, out)
    page = (out / "shop" / "en" / "index.html").read_bytes().decode("utf-8")  # keep \r as written
    assert f'<strong class="contact-name" dir="auto">{escape(data["name"])}</strong>' in page


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from([*Group.model_fields, "id"]), ANY_VALUE))
def test_any_group_data_builds_or_fails_cleanly(minisite: Path, tmp_path_factory, data) -> None:
    path = minisite / "groups" / "shop" / "group.json"
    path.write_text(json.dumps(data), "utf-8")
    out = tmp_path_factory.mktemp("out") / "site"
    try:
        build(minisite, out)
    except SiteError as error:
        assert error.problems and all(p.file == str(path) for p in error.problems)
        assert not out.exists()
    else:
        assert (out / "shop" / "en" / "index.html").is_file()


# -- issue 17: the manifest never lies, no change is missed, nothing is lost ------------------



def set_name(site: Path, slug: str, name: str) -> None:
    path = site / "groups" / slug / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = name
    path.write_text(json.dumps(data), "utf-8")


def clean_build(site: Path, tmp_path: Path) -> dict[str, str]:
    fresh = tmp_path / "fresh-out"
    shutil.rmtree(fresh, ignore_errors=True)
    build(site, fresh, incremental=False)
    return snapshot(fresh)


def assert_out_is_true(out: Path) -> None:
    """OUT holds exactly its manifest's files, each with the listed sha256."""
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    files = snapshot(out)
    del files["manifest.json"]
    assert files == manifest


def test_a_save_during_the_build_of_its_group_is_rebuilt_by_the_next_build(
    minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    set_name(minisite, "spa", "OLD")
    real_load = workers_module.load_site

    def load_then_save(*args, **kwargs):  # the save lands after the worker loaded the group
        site = real_load(*args, **kwargs)
        if site.groups:
            set_name(minisite, "spa", "NEW")
        return site

    monkeypatch.setattr(workers_module, "load_site", load_then_save)
    build(minisite, out, jobs=1)
    monkeypatch.undo()
    assert "OLD" in (out / "spa" / "fr" / "index.html").read_text("utf-8")
    result = build(minisite, out)
    assert not result.unchanged and result.rendered == 1
    assert "NEW" in (out / "spa" / "fr" / "index.html").read_text("utf-8")
    assert snapshot(out) == clean_build(minisite, tmp_path)


@pytest.mark.parametrize("how", ["touch -r", "cp -p"])
def test_a_same_size_edit_with_restored_times_is_rebuilt(
    minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setattr(manifest_module, "RACY_NS", 0)  # trust stamps at once, as after a pause
    out = tmp_path / "out"
    set_name(minisite, "spa", "Name A")
    build(minisite, out)
    build(minisite, out)  # the stamps are now those of the files as they are
    file = minisite / "groups" / "spa" / "group.json"
    times = file.stat()
    if how == "touch -r":
        file.write_text(file.read_text("utf-8").replace("Name A", "Name B"), "utf-8")
    else:
        copy = tmp_path / "copy.json"
        copy.write_text(file.read_text("utf-8").replace("Name A", "Name B"), "utf-8")
        os.replace(copy, file)
    os.utime(file, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert file.stat().st_size == times.st_size
    result = build(minisite, out)
    assert result.rendered == 1
    assert "Name B" in (out / "spa" / "fr" / "index.html").read_text("utf-8")


def test_touched_files_refresh_the_stamps_so_later_builds_do_not_read_them_again(
    minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest_module, "RACY_NS", 0)
    out = tmp_path / "out"
    build(minisite, out)
    for file in (minisite / "groups").rglob("*"):
        if file.is_file():
            os.utime(file)  # a git checkout round trip: new times, same bytes
    assert build(minisite, out).unchanged
    reads = []
    real = incremental_module.group_digest
    monkeypatch.setattr(incremental_module, "group_digest", lambda *a, **k: reads.append(a) or real(*a, **k))
    assert build(minisite, out).unchanged
    assert reads == []


def test_an_in_place_edit_of_out_is_repaired_and_the_manifest_stays_true(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)  # empty OUT: the spare is hard links to OUT's files
    page = out / "shop" / "fr" / "index.html"
    with open(page, "a", encoding="utf-8") as handle:
        handle.write("<!-- x -->")  # same inode, shared with the spare
    set_name(minisite, "spa", "Another")
    build(minisite, out)
    assert "<!-- x -->" not in page.read_text("utf-8")
    assert_out_is_true(out)
    assert snapshot(out) == clean_build(minisite, tmp_path)


def test_an_in_place_edit_of_out_with_nothing_else_changed_is_repaired_too(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    with open(out / "index.html", "a", encoding="utf-8") as handle:
        handle.write("<!-- x -->")
    assert not build(minisite, out).unchanged  # "Nothing changed" would keep the lie
    assert_out_is_true(out)


@pytest.mark.parametrize("how", ["theme removed", "group removed"])
def test_a_theme_stylesheet_no_group_uses_any_more_leaves_an_incremental_build(
    minisite: Path, tmp_path: Path, how: str
) -> None:
    # The breaker's case: the stylesheet of a theme only one group used was carried over
    # with the shared assets, build after build, so OUT differed from a full build.
    page = minisite / "groups" / "shop" / "page.toml"
    original = page.read_text("utf-8")
    page.write_text(original.replace('theme = "minimal"', 'theme = "contrast"'), "utf-8")
    out = tmp_path / "out"
    build(minisite, out)
    assert any(path.startswith("assets/contrast.") for path in snapshot(out))
    if how == "theme removed":
        page.write_text(original, "utf-8")  # back to minimal
    else:
        shutil.rmtree(minisite / "groups" / "shop")
    for _ in range(2):  # the spare tree, updated the next time, too
        build(minisite, out)
        assert not any(path.startswith("assets/contrast.") for path in snapshot(out))
        assert_out_is_true(out)
        assert snapshot(out) == clean_build(minisite, tmp_path)
        set_name(minisite, "spa", f"Renamed {_}")


@pytest.mark.parametrize("resave", ["touch", "rewrite", "reindent"])
@pytest.mark.parametrize("other_change", [False, True])
def test_an_edit_of_out_hidden_by_saving_the_manifest_again_is_still_repaired(
    minisite: Path, tmp_path: Path, resave: str, other_change: bool
) -> None:
    # The breaker's case: OUT's files count as unedited when no newer than the manifest,
    # so a manifest saved after a hand edit made the edit look like the build's.
    out = tmp_path / "out"
    build(minisite, out)
    with open(out / "index.html", "a", encoding="utf-8") as handle:
        handle.write("<!-- hand edit -->")
    manifest = out / "manifest.json"
    time.sleep(0.01)
    if resave == "touch":
        os.utime(manifest)
    elif resave == "rewrite":
        manifest.write_bytes(manifest.read_bytes())
    else:
        manifest.write_text(json.dumps(json.loads(manifest.read_text("utf-8")), indent=2), "utf-8")
    if other_change:
        set_name(minisite, "spa", "Another")
    assert not build(minisite, out).unchanged
    assert "<!-- hand edit -->" not in (out / "index.html").read_text("utf-8")
    assert_out_is_true(out)
    assert snapshot(out) == clean_build(minisite, tmp_path)


@pytest.mark.parametrize("damage", ["delete", "edit", "add"])
def test_damage_to_the_spare_never_reaches_out(minisite: Path, tmp_path: Path, damage: str) -> None:
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    build(minisite, out)
    set_name(minisite, "spa", "First")
    build(minisite, out)  # the spare is now the first tree, updated by the next build
    victim = spare / "shop" / "en" / "index.html"
    if damage == "delete":
        victim.unlink()
    elif damage == "edit":
        os.unlink(victim)  # not through OUT's inode: only the spare's copy
        victim.write_text("<p>damaged</p>", "utf-8")
    else:
        (spare / "shop" / "stray.html").write_text("not ours", "utf-8")
    set_name(minisite, "spa", "Second")
    build(minisite, out)
    assert_out_is_true(out)
    assert snapshot(out) == clean_build(minisite, tmp_path)


def test_a_group_named_like_a_top_level_output_folder_is_refused_and_assets_survive(
    minisite: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    assets = sorted(p.name for p in (out / "assets").iterdir())
    shutil.copytree(minisite / "groups" / "shop", minisite / "groups" / "assets")
    with pytest.raises(SiteError) as caught:
        build(minisite, out)
    assert [p.file for p in caught.value.problems] == [str(minisite / "groups" / "assets")]
    assert "reserved" in caught.value.problems[0].message
    assert sorted(p.name for p in (out / "assets").iterdir()) == assets


def test_a_stale_bytecode_entry_that_is_corrupt_or_planted_is_never_loaded(minisite: Path, tmp_path: Path) -> None:
    import pickle

    from jinja2.bccache import bc_magic

    out, cache = tmp_path / "out", tmp_path / ".out.cache"
    build(minisite, out)  # each build has its own Renderer: compiles, and keeps the compiled code on disk
    entries = [p for p in cache.iterdir() if p.name != "state.json"]
    assert entries and oct(cache.stat().st_mode & 0o777) == "0o700"
    witness = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.write_text, (witness, "ran"))

    for index, entry in enumerate(entries):  # truncated pickle, or one that runs code
        entry.write_bytes(bc_magic + (b"\x80" if index % 2 else pickle.dumps(Payload())))
    set_name(minisite, "spa", "Recompiled")
    build(minisite, out, incremental=False)
    assert not witness.exists()
    assert "Recompiled" in (out / "spa" / "fr" / "index.html").read_text("utf-8")
    assert all(p.read_bytes()[: len(bc_magic)] == bc_magic and b"Payload" not in p.read_bytes() for p in entries)


def test_the_bytecode_cache_a_build_wrote_is_used_by_the_next_process(
    minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    out = tmp_path / "out"
    build(minisite, out)
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda self, *a, **k: compiled.append(a) or real(self, *a, **k))
    build(minisite, out, incremental=False)  # a fresh Renderer: nothing compiled in memory
    assert compiled == []  # every template came from the verified cache


def test_a_cache_folder_writable_by_others_is_not_used(minisite: Path, tmp_path: Path) -> None:
    cache = tmp_path / ".out.cache"
    cache.mkdir()
    cache.chmod(0o777)
    build(minisite, tmp_path / "out")
    assert list(cache.iterdir()) == []


def _unprivileged() -> list[str]:
    """A prefix that runs a command without the power to ignore file modes (as a normal user)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv cannot test read-only folders")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def test_a_read_only_out_and_spare_do_not_block_later_builds(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [*_unprivileged(), sys.executable, "-m", "generator", "build", str(minisite), "-o", str(out), "-q"]
    subprocess.run(command, check=True, capture_output=True)
    try:
        subprocess.run(["chmod", "-R", "a-w", str(out)], check=True)  # a deploy step; the spare shares inodes
        for attempt in range(3):
            set_name(minisite, "spa", f"Read-only {attempt}")
            done = subprocess.run(command + (["--full"] if attempt == 2 else []), capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert "Traceback" not in done.stderr
            assert f"Read-only {attempt}" in (out / "spa" / "fr" / "index.html").read_text("utf-8")
            assert_out_is_true(out)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(tmp_path)], check=False)


@pytest.mark.parametrize("linked", ["pages", "theme"])
def test_edits_in_folders_linked_inside_the_site_are_rebuilt(minisite: Path, tmp_path: Path, linked: str) -> None:
    out = tmp_path / "out"
    if linked == "pages":
        shared = minisite / "shared-pages"
        (minisite / "groups" / "spa" / "pages").rename(shared)
        (minisite / "groups" / "spa" / "pages").symlink_to(shared)
        edited, marker = shared / "about.md", "Linked words"
    else:
        shared = minisite / "shared-theme"
        (shared / "static").mkdir(parents=True)
        (shared / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
        (shared / "static" / "theme.css").write_text("body { color: #111; }\n", "utf-8")
        (minisite / "themes").mkdir()
        (minisite / "themes" / "mine").symlink_to(shared)
        config = minisite / "site.toml"
        config.write_text(config.read_text("utf-8").replace('theme = "classic"', 'theme = "mine"'), "utf-8")
        edited, marker = shared / "static" / "theme.css", "#abcdef"
    build(minisite, out)
    edited.write_text(edited.read_text("utf-8") + f"\n{marker}\n" if linked == "pages"
                      else f"body {{ color: {marker}; }}\n", "utf-8")  # fmt: skip
    result = build(minisite, out)
    assert not result.unchanged
    assert any(marker in (out / path).read_text("utf-8") for path in result.files if path.endswith((".html", ".css")))


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_an_out_whose_manifest_was_deleted_or_corrupted_is_rebuilt_build_after_build(
    minisite: Path, tmp_path: Path, damage: str
) -> None:
    out = tmp_path / "out"  # review row 53 (held): keep it holding with the OUT ownership rules
    build(minisite, out)
    set_name(minisite, "spa", "Spare exists")
    build(minisite, out)
    if damage == "deleted":
        (out / "manifest.json").unlink()
    else:
        (out / "manifest.json").write_text("{not json", "utf-8")
    for attempt in range(3):
        set_name(minisite, "spa", f"After {damage} {attempt}")
        build(minisite, out)
        assert_out_is_true(out)
    assert snapshot(out) == clean_build(minisite, tmp_path)


def test_a_save_while_the_group_renders_is_rebuilt_by_the_next_build(
    minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bug-hunt #10 (ninja #1162): the save lands after loading, during rendering
    out = tmp_path / "out"
    build(minisite, out)
    set_name(minisite, "spa", "Eden Spa")
    real_render = workers_module.render_group

    def render_then_save(plan, renderer, output, source):  # type: ignore[no-untyped-def]
        pages = real_render(plan, renderer, output, source)
        if source.slug == "spa":
            set_name(minisite, "spa", "Eden Spa Deux")
        return pages

    monkeypatch.setattr(workers_module, "render_group", render_then_save)
    build(minisite, out, jobs=1)
    monkeypatch.undo()
    result = build(minisite, out)
    assert not result.unchanged
    assert "Eden Spa Deux" in (out / "spa" / "fr" / "index.html").read_text("utf-8")


def test_a_change_to_bookgens_own_code_changes_what_every_page_depends_on(tmp_path: Path) -> None:
    # An editable install or a checkout changes bookgen without a new version: every page
    # must be rebuilt then, but not for bytecode caches written beside the code.
    package = tmp_path / "generator"
    shutil.copytree(Path(generator.__file__).parent, package, ignore=shutil.ignore_patterns("_share"))
    before = code_digest(package)
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "render.cpython-311.pyc").write_bytes(b"\0")
    assert code_digest(package) == before
    render = package / "build.py"
    render.write_text(render.read_text("utf-8") + "\n# changed\n", "utf-8")
    assert code_digest(package) != before
