"""The one secret reader (generator/secretfiles.py) that pull/push, the sandbox and the gateway share."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import SiteError
from generator.secretfiles import MAX_SECRET_FILE, read_secret_file, secret_from


def test_a_secret_file_is_stripped_and_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "key").write_bytes(b"\xef\xbb\xbf  sk-123\n")
    assert read_secret_file(tmp_path / "key") == "sk-123"


def test_a_secret_file_of_4096_bytes_is_read_and_4097_refused(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"k" * MAX_SECRET_FILE)
    (tmp_path / "big").write_bytes(b"k" * (MAX_SECRET_FILE + 1))
    assert read_secret_file(tmp_path / "ok") == "k" * MAX_SECRET_FILE
    with pytest.raises(SiteError, match=r"big: is over 4096 bytes; it should hold one line"):
        read_secret_file(tmp_path / "big")


def test_an_unreadable_or_binary_file_names_the_file_never_the_content(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match=r"missing: cannot be read \(No such file or directory\)"):
        read_secret_file(tmp_path / "missing")
    (tmp_path / "bin").write_bytes(b"secret\xff\xfe")
    with pytest.raises(SiteError) as caught:
        read_secret_file(tmp_path / "bin")
    assert str(caught.value) == f"{tmp_path / 'bin'}: cannot be read (not UTF-8 text)"
    assert "secret" not in str(caught.value).replace(str(tmp_path), "")


def test_a_file_wins_over_the_environment_which_is_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("from-file\n")
    environ = {"KEY": " from-env "}
    assert secret_from(tmp_path / "key", "KEY", environ) == ("from-file", str(tmp_path / "key"))
    assert secret_from(None, "KEY", environ) == ("from-env", "$KEY")
    assert secret_from(None, "OTHER", environ) == ("", "$OTHER")
    assert secret_from(None, None, environ) == ("", "")
