"""The one walk behind stamps, digests and the no-op check (issue 17: D7, D8, D11, D12):
it sees what the loader reads, never opens a FIFO, and a stamp never hides an edit."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.errors import SiteError
from generator.manifest import RACY_NS, group_digest, group_stamp, walk_files


def later() -> int:
    """A build start long after every file's mtime (nothing racy)."""
    return time.time_ns() + 10 * RACY_NS


def make_group(root: Path) -> Path:
    group = root / "g"
    (group / "pages").mkdir(parents=True)
    (group / "group.json").write_text('{"name": "A"}', "utf-8")
    (group / "pages" / "about.md").write_text("# About\n", "utf-8")
    return group


def test_a_same_size_edit_with_its_mtime_restored_changes_the_stamp(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    file = group / "group.json"
    info = file.stat()
    before = group_stamp(group, later())
    file.write_text('{"name": "B"}', "utf-8")  # same size
    os.utime(file, ns=(info.st_atime_ns, info.st_mtime_ns))  # touch -r, cp -p, rsync -a, tar
    assert file.stat().st_size == info.st_size and file.stat().st_mtime_ns == info.st_mtime_ns
    assert group_stamp(group, later()) != before  # ctime moved


def test_a_file_replaced_by_a_copy_with_the_same_times_changes_the_stamp(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    file = group / "group.json"
    keep = file.stat()
    before = group_stamp(group, later())
    replacement = tmp_path / "new.json"
    replacement.write_text('{"name": "C"}', "utf-8")
    os.utime(replacement, ns=(keep.st_atime_ns, keep.st_mtime_ns))
    os.replace(replacement, file)  # a new inode (editors' safe save, tar -x)
    assert group_stamp(group, later()) != before


def test_a_file_modified_near_the_build_start_makes_the_stamp_racy(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    assert group_stamp(group, time.time_ns()) == ""  # just written: never reused
    mtime = (group / "group.json").stat().st_mtime_ns
    assert group_stamp(group, mtime + RACY_NS) == ""  # exactly at the margin: still racy
    ctime = max(p.stat().st_ctime_ns for p in group.rglob("*") if p.is_file())
    assert group_stamp(group, max(mtime, ctime) + RACY_NS + 1) != ""  # just older: trusted


def test_the_digest_is_of_the_bytes_the_loader_read(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    file = group / "group.json"
    info = file.stat()
    loaded_old = {(info.st_dev, info.st_ino): "0" * 64}  # what a worker read before a save
    file.write_text('{"name": "NEW"}', "utf-8")  # in place: same inode
    assert group_digest(group, loaded=loaded_old) != group_digest(group)


def test_a_dangling_link_is_ignored_and_a_fifo_or_socket_is_refused_without_being_opened(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    (group / ".#group.json").symlink_to("user@host.123:456")  # Emacs's lock file
    before = group_digest(group)
    assert [path for path, _ in walk_files(group)] == ["group.json", "pages/about.md"]
    os.mkfifo(group / "pipe")
    with pytest.raises(SiteError, match="FIFO"):  # would hang forever if opened
        group_digest(group)
    os.unlink(group / "pipe")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(group / "sock"))
        with pytest.raises(SiteError, match="socket"):
            group_stamp(group, later())
    os.unlink(group / "sock")
    assert group_digest(group) == before


def test_a_link_to_a_fifo_is_refused_like_the_fifo(tmp_path: Path) -> None:
    group = make_group(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    (group / "pages" / "x.md").symlink_to(tmp_path / "pipe")
    with pytest.raises(SiteError, match="FIFO"):
        group_digest(group, follow=tmp_path)


def test_an_unreadable_folder_is_an_error_not_silence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = make_group(tmp_path)
    real = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "pages":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)  # root ignores chmod 000
    with pytest.raises(SiteError, match=r"pages: cannot be read \(Permission denied\)"):
        group_digest(group)


def test_links_to_folders_inside_the_site_are_followed_and_those_leaving_it_are_not(tmp_path: Path) -> None:
    site = tmp_path / "site"
    group = make_group(site / "groups")
    shared = site / "shared"
    shared.mkdir()
    (shared / "faq.md").write_text("# FAQ\n", "utf-8")
    (group / "more").symlink_to(shared)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("x", "utf-8")
    (group / "leak").symlink_to(outside)
    (group / "loop").symlink_to(group)
    names = [path for path, _ in walk_files(group, follow=site)]
    assert names == ["group.json", "more/faq.md", "pages/about.md"]
    before = group_digest(group, follow=site)
    (shared / "faq.md").write_text("# FAQ, edited\n", "utf-8")
    assert group_digest(group, follow=site) != before  # D7: the shared folder is tracked
    assert [path for path, _ in walk_files(group)] == ["group.json", "pages/about.md"]  # no follow: the output


@given(names=st.lists(st.sampled_from(["a", "b", "c.md", "d.json"]), unique=True, min_size=1), data=st.data())
def test_any_content_change_changes_the_digest(tmp_path_factory: pytest.TempPathFactory, names: list[str],
                                               data: st.DataObject) -> None:  # fmt: skip
    root = tmp_path_factory.mktemp("group")
    contents = {name: data.draw(st.binary(max_size=20), label=name) for name in names}
    for name, raw in contents.items():
        (root / name).write_bytes(raw)
    before = group_digest(root)
    victim = data.draw(st.sampled_from(names), label="victim")
    new = data.draw(st.binary(max_size=20).filter(lambda raw: raw != contents[victim]), label="new")
    (root / victim).write_bytes(new)
    assert group_digest(root) != before
