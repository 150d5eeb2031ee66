"""Installs for the tests that run pressbot as a user installs it: a copy of the project folder,
the wheel `pip install .` builds, and a fresh virtualenv without pressbot (tests/test_install.py,
tests/test_scrapyd.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

#: What a project folder holds (a clone, less its data/ and virtualenv).
PROJECT = ("scrapy.cfg", "pyproject.toml", "setup.py", "README.md", "pressbot", "fixtures")


def copy_project(to: Path) -> Path:
    """A copy of the project folder at ``to`` (made), as a clone holds it."""
    to.mkdir(parents=True)
    for name in PROJECT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, to / name)
    return to


def build_wheel(tmp: Path) -> Path:
    """The wheel a regular `pip install .` builds and installs (in an isolated build
    environment, from pyproject's build-system), built from a copy of the project: no build/ is
    left in the checkout."""
    project = copy_project(tmp / "src")
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), "."]
    subprocess.run(cmd, cwd=project, check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("pressbot-*.whl")
    return wheel


def fresh_venv(where: Path) -> Path:
    """A new virtualenv that sees this one's packages (Scrapy and the rest, through a .pth file:
    its editable pressbot is not among them, a .pth in a .pth'd folder is not read) but no
    pressbot of its own, and a `scrapy` script as pip writes one. Returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    purelib = Path(
        python_sees(where / "bin", where, "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    )
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / "_pressbot_test_deps.pth").write_text("".join(f"{p}\n" for p in ours))
    scrapy = where / "bin" / "scrapy"
    scrapy.write_text(
        f"#!{where / 'bin' / 'python'}\nimport sys\nfrom scrapy.cmdline import execute\nsys.exit(execute())\n"
    )
    scrapy.chmod(0o755)
    return where / "bin"


def python_sees(bin_dir: Path, cwd: Path, code: str) -> str:
    """What ``code`` prints (or the error it ends with) under the environment's python."""
    proc = subprocess.run(
        [str(bin_dir / "python"), "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    return (proc.stdout + proc.stderr).strip()


def case_records(source: str) -> dict[str, dict]:
    """id -> record of every listing case of the source (the pages its walk reads)."""
    found = {}
    for case in sorted((FIXTURES / "cases").glob(f"{source}-page-*")):
        if json.loads((case / "case.json").read_text())["source"] == source:
            for r in json.loads((case / "expected.json").read_text())["records"]:
                found.setdefault(r["id"], r)
    return found
