"""The `check`, `rules` and `explain` commands as users and CI run them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prefect_pitfalls.cli import main

STATEFUL = textwrap.dedent(
    """\
    from prefect import flow, task

    SEEN = []


    @task
    def remember(item):
        SEEN.append(item)


    @flow
    def etl():
        remember(1)
    """
)
CLEAN = "from prefect import task\n\n\n@task\ndef double(x):\n    return 2 * x\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_exit_status_clean_and_findings(tmp_path: Path, check) -> None:
    write(tmp_path, "clean.py", CLEAN)
    assert check(str(tmp_path / "clean.py"))[0] == 0
    write(tmp_path, "stateful.py", STATEFUL)
    status, out, _ = check(str(tmp_path))
    assert status == 1
    assert f"{tmp_path}/stateful.py:8:5: PP102 " in out
    assert "\nFound 1 finding.\n1 hidden fix can be enabled with the `--unsafe-fixes` option." in out


def test_json_output_matches_the_contract(tmp_path: Path, check, monkeypatch) -> None:
    write(tmp_path, "flows/stateful.py", STATEFUL)
    monkeypatch.chdir(tmp_path)
    status, findings = check.json()
    assert status == 1
    assert findings == [
        {
            "code": "PP102",
            "name": "task-global-state",
            "severity": "warning",
            "path": "flows/stateful.py",
            "line": 8,
            "column": 5,
            "end_line": 8,
            "end_column": 9,
            "message": findings[0]["message"],
            "fix": findings[0]["fix"],
        }
    ]
    assert "SEEN" in findings[0]["message"]
    fix = findings[0]["fix"]
    assert fix["title"] == 'Keep `SEEN` in a Prefect Variable (key "stateful-seen")'
    assert fix["applicability"] == "unsafe"
    assert fix["edits"][0] == {
        "line": 2, "column": 1, "end_line": 2, "end_column": 1, "new_text": "from prefect.variables import Variable\n"
    }
    _, findings = check.json("flows")
    assert findings[0]["path"] == "flows/stateful.py"


def test_output_sorted_by_path_line_column(tmp_path: Path, check) -> None:
    for name in ("b.py", "a.py", "sub/c.py"):
        write(tmp_path, name, STATEFUL + "\n\n@task\ndef again():\n    SEEN.clear()\n")
    _, findings = check.json(str(tmp_path))
    keys = [(f["path"], f["line"], f["column"]) for f in findings]
    assert keys == sorted(keys) and len(keys) == 6


def test_syntax_error_is_reported_and_other_files_still_checked(tmp_path: Path, check) -> None:
    write(tmp_path, "a_broken.py", "from prefect import task\n\n@task\ndef f(:\n    pass\n")
    write(tmp_path, "b_stateful.py", STATEFUL)
    status, out, err = check(str(tmp_path))
    assert status == 2
    assert f"{tmp_path}/a_broken.py:4:7: cannot parse: invalid syntax" in err
    assert len(err.strip().splitlines()) == 1
    assert "b_stateful.py:8:5: PP102" in out


def test_findings_of_statements_that_parse_are_kept(tmp_path: Path, check) -> None:
    write(tmp_path, "half.py", STATEFUL + "\n\ndef broken(:\n    pass\n")
    status, out, err = check(str(tmp_path))
    assert status == 2 and "half.py:16:12: cannot parse" in err
    assert "half.py:8:5: PP102" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"from prefect import task\nx = 1\x00\n", "a.py:2:6: cannot parse: null byte in source"),
        (b"from prefect import task\nname = '\xff'\n", "a.py:2:9: invalid utf-8 byte 0xff"),
        (b"# -*- coding: klingon -*-\nfrom prefect import task\n", "a.py:1:1: unknown encoding"),
    ],
)
def test_unreadable_sources(tmp_path: Path, check, content: bytes, message: str) -> None:
    write(tmp_path, "a.py", content)
    write(tmp_path, "b.py", STATEFUL)
    status, out, err = check(str(tmp_path))
    assert status == 2
    assert message in err, err
    assert "b.py:8:5: PP102" in out


def test_declared_encoding_and_bom_are_honoured(tmp_path: Path, check) -> None:
    latin = "# -*- coding: latin-1 -*-\n" + STATEFUL.replace("SEEN = []", "SEEN = []  # café")
    write(tmp_path, "latin.py", latin.encode("latin-1"))
    write(tmp_path, "bom.py", b"\xef\xbb\xbf" + STATEFUL.encode())
    status, findings = check.json(str(tmp_path))
    assert status == 1
    assert [(Path(f["path"]).name, f["line"], f["column"]) for f in findings] == [("bom.py", 8, 5), ("latin.py", 9, 5)]


def test_recursion_skips_gitignored_and_virtualenvs(tmp_path: Path, check) -> None:
    write(tmp_path, ".gitignore", "generated/\n*_tmp.py\n")
    write(tmp_path, "pkg/.gitignore", "local.py\n")
    for name in (
        "generated/a.py", "x_tmp.py", "pkg/local.py", ".venv/lib/a.py", "venv/a.py",
        "myenv/lib/a.py", "node_modules/a.py", "__pycache__/a.py", "notes.txt",
    ):
        write(tmp_path, name, STATEFUL)
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "pkg/kept.py", STATEFUL)
    write(tmp_path, "kept.py", STATEFUL)
    _, findings = check.json(str(tmp_path))
    assert sorted(Path(f["path"]).relative_to(tmp_path).as_posix() for f in findings) == ["kept.py", "pkg/kept.py"]


def test_gitignore_above_the_checked_folder_applies_inside_a_repository(tmp_path: Path, check) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "flows/scratch.py\n")
    write(tmp_path, "flows/scratch.py", STATEFUL)
    write(tmp_path, "flows/real.py", STATEFUL)
    _, findings = check.json(str(tmp_path / "flows"))
    assert [Path(f["path"]).name for f in findings] == ["real.py"]


def test_an_explicit_file_is_checked_even_if_ignored(tmp_path: Path, check) -> None:
    write(tmp_path, ".gitignore", "*.py\n")
    path = write(tmp_path, "a.py", STATEFUL)
    assert check(str(path))[0] == 1


def test_select_and_ignore(tmp_path: Path, check) -> None:
    write(tmp_path, "a.py", STATEFUL + "\n\n@task\ndef t(x=[]):\n    x.append(1)\n")
    assert {f["code"] for f in check.json(str(tmp_path))[1]} == {"PP102", "PP103"}
    assert {f["code"] for f in check.json(str(tmp_path), "--select", "PP103")[1]} == {"PP103"}
    assert {f["code"] for f in check.json(str(tmp_path), "--ignore", "pp102")[1]} == {"PP103"}
    assert {f["code"] for f in check.json(str(tmp_path), "--select", "PP1", "--ignore", "PP103")[1]} == {"PP102"}
    status, out, err = check(str(tmp_path), "--select", "PP999")
    assert status == 2 and "unknown rule code 'PP999'" in err


def test_missing_path_is_a_usage_error(tmp_path: Path, check) -> None:
    status, _, err = check(str(tmp_path / "nope"))
    assert status == 2 and "no such file or directory" in err


def test_configuration_from_pyproject(tmp_path: Path, check) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        textwrap.dedent(
            """\
            [project]
            name = "flows"

            [tool.prefect-pitfalls]
            ignore = ["PP103"]

            [tool.prefect-pitfalls.per-file-ignores]
            "legacy/*.py" = ["PP102"]
            """
        ),
    )
    body = STATEFUL + "\n\n@task\ndef t(x=[]):\n    x.append(1)\n"
    write(tmp_path, "flows/a.py", body)
    write(tmp_path, "legacy/b.py", body)
    _, findings = check.json(str(tmp_path))
    assert sorted((Path(f["path"]).parent.name, f["code"]) for f in findings) == [("flows", "PP102")]
    # A nearer pyproject.toml without the table does not hide the configuration above it.
    write(tmp_path, "flows/pyproject.toml", '[project]\nname = "inner"\n')
    _, findings = check.json(str(tmp_path))
    assert [f["code"] for f in findings] == ["PP102"]


def test_prefect_version_setting(tmp_path: Path, check) -> None:
    seed = (Path(__file__).parent / "fixtures" / "seed_counter_p1.py").read_text()
    write(tmp_path, "seed.py", seed)
    assert [f["code"] for f in check.json(str(tmp_path))[1]] == ["PP101"]
    write(tmp_path, "pyproject.toml", '[tool.prefect-pitfalls]\nprefect-version = "3"\n')
    assert check.json(str(tmp_path))[1] == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('prefect-version = "4"', 'prefect-version: expected one of "auto", "1", "2", "3", got \'4\''),
        ('select = "PP101"', "select: expected a list of rule codes"),
        ('ignore = ["XY1"]', "ignore: unknown rule code 'XY1'"),
        ("colour = true", "unknown key 'colour'"),
        ("probe = { timeout = -1 }", "probe.timeout: expected a positive number of seconds, got -1"),
        ("select = [", "invalid TOML"),
    ],
)
def test_invalid_configuration_is_a_clear_error(tmp_path: Path, check, table: str, message: str) -> None:
    write(tmp_path, "pyproject.toml", f"[tool.prefect-pitfalls]\n{table}\n")
    write(tmp_path, "a.py", STATEFUL)
    status, out, err = check(str(tmp_path))
    assert status == 2
    assert str(tmp_path / "pyproject.toml") in err and message in err, err


def test_output_file(tmp_path: Path, check) -> None:
    write(tmp_path, "a.py", STATEFUL)
    report = tmp_path / "report.json"
    status, out, _ = check(str(tmp_path / "a.py"), "--format", "json", "--output-file", str(report))
    assert status == 1 and out == ""
    assert json.loads(report.read_text())[0]["code"] == "PP102"


def test_parallel_check_equals_serial(tmp_path: Path, check) -> None:
    for index in range(60):
        write(tmp_path, f"m{index:02}.py", STATEFUL if index % 3 else CLEAN)
    serial = check.json(str(tmp_path), "--jobs", "1")
    parallel = check.json(str(tmp_path), "--jobs", "2")
    assert serial == parallel and len(serial[1]) == 40


def test_parallel_fix_writes_every_file(tmp_path: Path, check) -> None:
    source = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n"
    for index in range(40):
        write(tmp_path, f"m{index:02}.py", source)
    status, out, _ = check(str(tmp_path), "--fix", "--jobs", "2")
    assert status == 0 and "Found 40 findings (40 fixed, 0 remaining)." in out
    assert all("__main__" in p.read_text() for p in tmp_path.glob("*.py"))


def test_rules_and_explain(capsys) -> None:
    assert main(["rules"]) == 0
    table = capsys.readouterr().out
    for code in ("PP101", "PP102", "PP103", "PP303"):
        assert code in table
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["name"] for r in rows}["PP101"] == "task-instance-state"
    assert main(["explain", "pp101"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# PP101: task-instance-state\n\n## What it does\n")
    for section in ("## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in text
    assert main(["explain", "PP999"]) == 2
    assert "unknown rule 'PP999'" in capsys.readouterr().err


def test_console_script_and_module_entry_points(tmp_path: Path) -> None:
    write(tmp_path, "a.py", STATEFUL)
    script = Path(sys.executable).parent / "prefect-pitfalls"
    for command in ([str(script)], [sys.executable, "-m", "prefect_pitfalls"]):
        done = subprocess.run([*command, "check", str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert "PP102" in done.stdout


# --- on a terminal and off it ----------------------------------------------------------


def run_on_terminal(command: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``command`` with stdout on a pseudo-terminal 100 columns wide; its status and output."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {}, TERM="xterm-256color", COLUMNS="100")
    with subprocess.Popen(command, stdout=follower, stderr=subprocess.PIPE, env=environment) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=60)
    os.close(leader)
    return process.returncode, seen.decode("utf-8", "replace")


CLI = [sys.executable, "-m", "prefect_pitfalls"]
ANSI = "\x1b["


def test_findings_are_coloured_on_a_terminal_only(tmp_path: Path) -> None:
    write(tmp_path, "a.py", STATEFUL)
    status, terminal = run_on_terminal([*CLI, "check", str(tmp_path)])
    assert status == 1 and ANSI in terminal and "PP102" in terminal
    status, terminal = run_on_terminal([*CLI, "check", str(tmp_path)], {"NO_COLOR": "1"})
    assert status == 1 and ANSI not in terminal and f"{tmp_path / 'a.py'}:8:5: PP102 " in terminal
    piped = subprocess.run([*CLI, "check", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 1 and ANSI not in piped.stdout and "PP102" in piped.stdout
    status, terminal = run_on_terminal([*CLI, "check", str(tmp_path), "--format", "json"])
    assert ANSI not in terminal and json.loads(terminal)[0]["code"] == "PP102"


def test_explain_renders_markdown_on_a_terminal() -> None:
    status, terminal = run_on_terminal([*CLI, "explain", "PP103"])
    assert status == 0 and ANSI in terminal
    plain = __import__("re").sub(r"\x1b\[[0-9;]*m", "", terminal)
    # Headings and code fences are rendered, not shown as Markdown syntax.
    assert "## What it does" not in plain and "```" not in plain
    assert "What it does" in plain and "def " in plain
    status, terminal = run_on_terminal([*CLI, "explain", "PP103"], {"NO_COLOR": "1"})
    assert ANSI not in terminal and "## What it does" in terminal
    piped = subprocess.run([*CLI, "explain", "PP103"], capture_output=True, text=True, timeout=60)
    assert piped.stdout.startswith("# PP103: task-mutable-default\n\n## What it does\n")


def test_version_and_help_with_examples_for_every_command(capsys) -> None:
    from prefect_pitfalls import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"prefect-pitfalls {__version__}\n"
    for command in ([], ["check"], ["serve"], ["rules"], ["explain"]):
        assert main([*command, "--help"]) == 0
        text = capsys.readouterr().out
        examples = text.split("examples:\n", 1)[1]
        assert f"prefect-pitfalls {command[0] if command else ''}".strip() in examples, text
    assert main(["check", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--format {github,json,sarif,text}", "--output-file FILE", "--probe", "--fix", "exit status"):
        assert option in text


def test_prefect_yaml_files_are_found_and_other_yaml_skipped(tmp_path: Path, check) -> None:
    write(tmp_path, "flows/etl.py", "from prefect import flow\n\n\n@flow\ndef etl():\n    pass\n")
    write(tmp_path, "prefect.yaml", "deployments:\n- name: a\n  entrypoint: flows/etl.py:etl\n- name: b\n  entrypoint: flows/etl.py:elt\n")
    write(tmp_path, "compose.yaml", "services: {}\n")
    write(tmp_path, "skipped.yml", "not: [python\n")
    status, findings = check.json(str(tmp_path))
    assert status == 1 and [(Path(f["path"]).name, f["line"], f["code"]) for f in findings] == [("prefect.yaml", 5, "PP307")]
    # Named on the command line (as pre-commit does), other YAML files are skipped, not read as Python.
    status, out, err = check(str(tmp_path / "compose.yaml"), str(tmp_path / "skipped.yml"))
    assert status == 0 and err == "" and "All checks passed!" in out
