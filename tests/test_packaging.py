"""The wheel carries templates, themes and compiled catalogs, and builds a site on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).parent.parent


def test_wheel_installed_elsewhere_builds_a_site(tmp_path: Path, minisite: Path) -> None:
    dist = tmp_path / "dist"
    # `build` without isolation: the locked environment has no pip, and needs no network.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True, capture_output=True,
    )
    [wheel] = dist.glob("bookgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/_share/templates/booking.html" in names
    assert "generator/_share/themes/classic/theme.toml" in names
    assert "generator/timezones.json" in names
    assert not [n for n in names if n.endswith(".po")] or [n for n in names if n.endswith(".mo")]

    # A pure-Python wheel installs by unpacking it (PEP 427: no .data folder here).
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    assert not [n for n in names if ".data/" in n]
    # -S skips site-packages and so the editable install of this checkout; the installed
    # copy comes first on the path and dependencies come from this environment.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    out = tmp_path / "out"
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    code = "import generator, sys; print(generator.__file__); from generator.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, "build", str(minisite), "-o", str(out)],
        cwd=workdir, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(str(target))
    assert (out / "spa" / "fr" / "index.html").is_file()
    assert any((out / "assets").glob("classic.*.css"))
