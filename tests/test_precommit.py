"""The project as a pre-commit hook repository (.pre-commit-hooks.yaml), run by the real pre-commit.

A snapshot of the working tree (uncommitted changes included) is committed to a
temporary repository, which a temporary user repository then names in its
.pre-commit-config.yaml. pre-commit builds the hook's environment from the snapshot
once (pip-installing the package and its dependencies, from PyPI: the slow part),
in a PRE_COMMIT_HOME shared by the whole module; every test after that reuses it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_cli import STATEFUL as FLOW_WITH_GLOBAL_STATE

ROOT = Path(__file__).parents[1]

BUILD_TIMEOUT = 900  # the first run: clone, venv, pip install from PyPI
RUN_TIMEOUT = 180

GLOBAL_STATE_FINDING = "flows.py:8:5: PP102"

FLOW_WITHOUT_GLOBAL_STATE = """\
from prefect import flow, task


@task
def remember(item):
    return item


@flow
def etl():
    remember(1)
"""

CLEAN_MODULE = """\
def double(x):
    return 2 * x
"""

# PP103 has a safe fix (the default becomes None), which `check --fix` applies.
FLOW_WITH_MUTABLE_DEFAULT = """\
from prefect import flow, task


@task
def collect(item, bucket=[]):
    bucket.append(item)
    return bucket


@flow
def etl():
    collect(1)
"""


def _isolated_env(pre_commit_home: Path | None = None) -> dict[str, str]:
    """The environment without the caller's git state or config (the tests may run inside a
    git hook, or on a machine with no git identity), with a private PRE_COMMIT_HOME."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT")) and k not in {"SKIP"}
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="prefect-pitfalls tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="prefect-pitfalls tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        NO_COLOR="1",
    )
    if pre_commit_home is not None:
        env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, env=_isolated_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}"
    return result.stdout


class PreCommit:
    """`python -m pre_commit` with the module's PRE_COMMIT_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, repo: Path, *args: str, timeout: float = RUN_TIMEOUT) -> tuple[int, str]:
        """Run pre-commit in ``repo``; return its status and its stdout and stderr, interleaved."""
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
            cwd=repo, env=_isolated_env(self.home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=timeout, check=False,
        )
        return result.returncode, result.stdout


def make_snapshot(destination: Path) -> str:
    """Commit the project's working tree (tracked and untracked-but-not-ignored files, as they
    are on disk) to a new repository at ``destination``; return the commit's sha."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        env=_isolated_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout: {listed.stderr.strip()}")
    destination.mkdir(parents=True, exist_ok=True)
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if not source.is_file() and not source.is_symlink():  # deleted, not yet staged
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    assert (destination / ".pre-commit-hooks.yaml").is_file()
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "--no-verify", "-m", "snapshot of the working tree")
    return git(destination, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    return snapshot, make_snapshot(snapshot)


@pytest.fixture(scope="module")
def pre_commit(hook_repo: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> PreCommit:
    """pre-commit with the hook environment built: once for the module."""
    runner = PreCommit(tmp_path_factory.mktemp("pre-commit-home"))
    scratch = tmp_path_factory.mktemp("install-hooks")
    git(scratch, "init", "-q")
    write_config(scratch, hook_repo, [{"id": "prefect-pitfalls"}])
    status, output = runner(scratch, "install-hooks", timeout=BUILD_TIMEOUT)
    assert status == 0, f"pre-commit could not build the hook environment:\n{output}"
    return runner


def write_config(repo: Path, hook_repo: tuple[Path, str], hooks: list[dict]) -> None:
    path, sha = hook_repo
    lines = ["repos:", f"- repo: {path.as_posix()}", f"  rev: {sha}", "  hooks:"]
    for hook in hooks:
        lines.append(f"  - id: {hook['id']}")
        if "args" in hook:
            lines.append(f"    args: [{', '.join(hook['args'])}]")
    (repo / ".pre-commit-config.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def user_repo(tmp_path: Path, hook_repo: tuple[Path, str]) -> Path:
    """A user's repository with the hook configured, a flow module with global state and a clean module."""
    repo = tmp_path / "user"
    repo.mkdir()
    git(repo, "init", "-q")
    write_config(repo, hook_repo, [{"id": "prefect-pitfalls"}])
    (repo / "flows.py").write_text(FLOW_WITH_GLOBAL_STATE, encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN_MODULE, encoding="utf-8")
    git(repo, "add", "-A")
    return repo


def hook_line(output: str, name: str = "prefect-pitfalls") -> str:
    """pre-commit's summary line of a hook: `name.....Passed`."""
    for line in output.splitlines():
        if line.startswith((name + ".", name + "(")):
            return line
    raise AssertionError(f"no summary line for hook {name!r} in pre-commit's output:\n{output}")


def test_the_manifest_is_valid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hook_fails_on_a_finding_and_passes_once_fixed(pre_commit: PreCommit, user_repo: Path) -> None:
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 1, f"expected the hook to fail (status 1), got {status}:\n{output}"
    assert "Failed" in hook_line(output), output
    assert "- hook id: prefect-pitfalls" in output, output
    assert "- exit code: 1" in output, output
    assert GLOBAL_STATE_FINDING in output, output
    assert "clean.py" not in output, output

    (user_repo / "flows.py").write_text(FLOW_WITHOUT_GLOBAL_STATE, encoding="utf-8")
    git(user_repo, "add", "flows.py")
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 0, f"expected the hook to pass once the global state is gone, got {status}:\n{output}"
    assert "Passed" in hook_line(output), output
    assert "PP102" not in output, output


def test_args_in_the_config_reach_the_check(pre_commit: PreCommit, user_repo: Path, hook_repo: tuple[Path, str]) -> None:
    write_config(user_repo, hook_repo, [{"id": "prefect-pitfalls", "args": ["--ignore", "PP102"]}])
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 0, f"expected `args: [--ignore, PP102]` to silence the finding, got {status}:\n{output}"
    assert "Passed" in hook_line(output), output

    write_config(user_repo, hook_repo, [{"id": "prefect-pitfalls", "args": ["--select", "PP1"]}])
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 1, f"expected `args: [--select, PP1]` to keep PP102, got {status}:\n{output}"
    assert GLOBAL_STATE_FINDING in output, output


def test_hook_sees_only_the_staged_files(pre_commit: PreCommit, user_repo: Path) -> None:
    # flows.py, with its finding, is committed; the commit after it only touches clean.py.
    git(user_repo, "commit", "-q", "--no-verify", "-m", "flows with a finding")
    (user_repo / "clean.py").write_text(CLEAN_MODULE + "\n\ndef triple(x):\n    return 3 * x\n", encoding="utf-8")
    git(user_repo, "add", "clean.py")
    status, output = pre_commit(user_repo, "run")
    assert status == 0, f"expected the hook to check only the staged clean.py, got {status}:\n{output}"
    assert "Passed" in hook_line(output), output
    assert "flows.py" not in output, output

    # A file the hook's types do not match: the hook is skipped, not run on nothing (which
    # would make `prefect-pitfalls check` check the whole folder).
    git(user_repo, "commit", "-q", "--no-verify", "-m", "clean")
    (user_repo / "notes.txt").write_text("not Python\n", encoding="utf-8")
    git(user_repo, "add", "notes.txt")
    status, output = pre_commit(user_repo, "run")
    assert status == 0, output
    assert "(no files to check)Skipped" in hook_line(output), output


def test_prefect_yaml_entrypoints_are_checked_and_other_yaml_skipped(pre_commit: PreCommit, user_repo: Path) -> None:
    (user_repo / "flows.py").write_text(FLOW_WITHOUT_GLOBAL_STATE, encoding="utf-8")
    (user_repo / "prefect.yaml").write_text(
        "deployments:\n- name: nightly\n  entrypoint: flows.py:etl\n- name: typo\n  entrypoint: flows.py:etl_flow\n",
        encoding="utf-8",
    )
    (user_repo / "compose.yaml").write_text("services:\n  worker:\n    image: prefecthq/prefect:3\n", encoding="utf-8")
    git(user_repo, "add", "-A")
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 1, f"expected PP307 to fail the hook, got {status}:\n{output}"
    assert "prefect.yaml:5:15: PP307" in output, output
    assert "compose.yaml" not in output and ".pre-commit-config.yaml" not in output and "error:" not in output, output


def test_fix_hook_applies_safe_fixes(pre_commit: PreCommit, user_repo: Path, hook_repo: tuple[Path, str]) -> None:
    write_config(user_repo, hook_repo, [{"id": "prefect-pitfalls-fix"}])
    (user_repo / "flows.py").write_text(FLOW_WITH_MUTABLE_DEFAULT, encoding="utf-8")
    git(user_repo, "add", "-A")

    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 1, f"expected the fix hook to fail because it changed a file, got {status}:\n{output}"
    assert "Failed" in hook_line(output, "prefect-pitfalls (fix)"), output
    assert "- files were modified by this hook" in output, output
    fixed = (user_repo / "flows.py").read_text(encoding="utf-8")
    assert "bucket=None" in fixed and "if bucket is None:" in fixed, fixed

    git(user_repo, "add", "flows.py")
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 0, f"expected the fixed file to pass, got {status}:\n{output}"
    assert "Passed" in hook_line(output, "prefect-pitfalls (fix)"), output


def test_fix_hook_fails_on_what_it_cannot_fix(pre_commit: PreCommit, user_repo: Path, hook_repo: tuple[Path, str]) -> None:
    # PP102's fix is unsafe: `check --fix` leaves the file alone and exits 1 with the finding.
    write_config(user_repo, hook_repo, [{"id": "prefect-pitfalls-fix"}])
    git(user_repo, "add", "-A")
    status, output = pre_commit(user_repo, "run", "--all-files")
    assert status == 1, f"expected the fix hook to fail on the unfixable finding, got {status}:\n{output}"
    assert "- exit code: 1" in output, output
    assert "files were modified" not in output, output
    assert GLOBAL_STATE_FINDING in output, output
    assert (user_repo / "flows.py").read_text(encoding="utf-8") == FLOW_WITH_GLOBAL_STATE
