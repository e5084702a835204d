"""Emacs with eglot, headless (batch mode), running the README's eglot snippet verbatim."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tooling import REPOSITORY, ensure_debian_packages

pytestmark = pytest.mark.editors

HERE = Path(__file__).parent
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
SEED = REPOSITORY / "tests" / "store_fixes" / "seed_p1.py"
ELPA = Path("/usr/share/emacs/site-lisp/elpa")


@pytest.fixture(scope="session")
def emacs() -> Path:
    # Debian bookworm's Emacs 28 with eglot from ELPA (Emacs 29 ships it built in).
    ensure_debian_packages(["emacs-nox", "elpa-eglot"])
    return Path("/usr/bin/emacs")


def eglot_snippet() -> str:
    match = re.search(r"<!-- eglot -->\n```elisp\n(.*?)```", README, re.S)
    assert match, "the README has no eglot snippet"
    return match.group(1)


def test_eglot_quick_fix(emacs: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "orders"\nversion = "0"\n')
    (project / "counter.py").write_text(SEED.read_text())
    (project / ".git").mkdir()  # project.el finds the project root by it
    init = tmp_path / "init.el"
    # -Q skips Debian's site start-up, which would put the ELPA packages on the load path.
    load_path = "".join(f'(add-to-list \'load-path "{folder}")\n' for folder in sorted(ELPA.glob("*")))
    init.write_text(load_path + eglot_snippet())
    env = {
        **os.environ, "PP_PROJECT": str(project), "HOME": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["timeout", "180", str(emacs), "--batch", "-Q", "-l", str(init), "-l", str(HERE / "eglot_e2e.el")],
        cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240,
    )
    print(done.stdout, done.stderr[-3000:], sep="\n")
    assert done.stdout.rstrip().endswith("PASS"), done.stdout + done.stderr[-3000:]
    assert "STEP eglot started prefect-pitfalls serve" in done.stdout
    assert "STEP eldoc shows the hover: why, and what to write instead" in done.stdout
    assert "STEP Show documentation showed the rule's page" in done.stdout
    assert "set_key_value" in (project / "counter.py").read_text()
