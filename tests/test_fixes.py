"""Every fix: applied through `check --fix`, the result parses, the finding is gone, and a
second run changes nothing."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

CASES = {
    "pp303_call": (
        """
        from prefect import flow


        @flow
        def etl():
            return 1


        etl()
        """,
        """
        from prefect import flow


        @flow
        def etl():
            return 1


        if __name__ == "__main__":
            etl()
        """,
    ),
    "pp303_serve_multiline_with_string": (
        '''
        from prefect import flow


        @flow
        def etl(query: str):
            return query


        etl.serve(
            name="nightly",
            parameters={"query": """
        SELECT *
        FROM t
        """},
        )  # keep this comment
        ''',
        '''
        from prefect import flow


        @flow
        def etl(query: str):
            return query


        if __name__ == "__main__":
            etl.serve(
                name="nightly",
                parameters={"query": """
        SELECT *
        FROM t
        """},
            )  # keep this comment
        ''',
    ),
    "pp303_prefect1_inside_with": (
        """
        from prefect import Flow, task


        @task
        def extract():
            return 1


        with Flow("etl") as flow:
            extract()
            flow.run()
        """,
        """
        from prefect import Flow, task


        @task
        def extract():
            return 1


        with Flow("etl") as flow:
            extract()
            if __name__ == "__main__":
                flow.run()
        """,
    ),
    "pp303_asyncio": (
        """
        import asyncio

        from prefect import flow


        @flow
        async def main():
            return 1

        asyncio.run(main())
        """,
        """
        import asyncio

        from prefect import flow


        @flow
        async def main():
            return 1

        if __name__ == "__main__":
            asyncio.run(main())
        """,
    ),
    "pp103_with_docstring": (
        '''
        from prefect import task


        @task
        def collect(item, seen=[]):
            """Remember an item."""
            seen.append(item)
            return seen
        ''',
        '''
        from prefect import task


        @task
        def collect(item, seen=None):
            """Remember an item."""
            if seen is None:
                seen = []
            seen.append(item)
            return seen
        ''',
    ),
    "pp103_two_params_and_comment": (
        """
        from collections import defaultdict

        from prefect import flow


        @flow
        def group(rows, *, out={}, counts=defaultdict(int)):
            # group rows by key
            for row in rows:
                out[row["k"]] = row
                counts[row["k"]] += 1
            return out, counts
        """,
        """
        from collections import defaultdict

        from prefect import flow


        @flow
        def group(rows, *, out=None, counts=None):
            if out is None:
                out = {}
            if counts is None:
                counts = defaultdict(int)
            # group rows by key
            for row in rows:
                out[row["k"]] = row
                counts[row["k"]] += 1
            return out, counts
        """,
    ),
    "pp103_prefect1_run_tabs": (
        "from prefect import Task\n\n\nclass Collect(Task):\n\tdef run(self, item, seen=[]):\n\t\tseen.append(item)\n\t\treturn seen\n",
        "from prefect import Task\n\n\nclass Collect(Task):\n\tdef run(self, item, seen=None):\n\t\tif seen is None:\n\t\t\tseen = []\n\t\tseen.append(item)\n\t\treturn seen\n",
    ),
    "crlf_line_endings_kept": (
        "from prefect import flow\r\n\r\n@flow\r\ndef etl():\r\n    return 1\r\n\r\netl()\r\n",
        'from prefect import flow\r\n\r\n@flow\r\ndef etl():\r\n    return 1\r\n\r\nif __name__ == "__main__":\r\n    etl()\r\n',
    ),
}


def _text(value: str) -> str:
    return value if "\r" in value or "\t" in value else textwrap.dedent(value).lstrip("\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_gives_expected_text(name: str, tmp_path: Path, check) -> None:
    before, after = (_text(v) for v in CASES[name])
    path = tmp_path / "module.py"
    path.write_bytes(before.encode())
    status, out, err = check(str(path), "--fix")
    assert path.read_bytes().decode() == after, out + err
    assert status == 0, out + err
    assert "fixed" in out
    status, out, _ = check(str(path), "--fix")
    assert path.read_bytes().decode() == after and status == 0 and out.strip() == "All checks passed!"


def test_unsafe_fix_needs_the_flag(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    source = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\nresult = etl()\n"
    path.write_text(source)
    status, out, _ = check(str(path), "--fix")
    assert path.read_text() == source and status == 1
    assert "hidden fix can be enabled with the `--unsafe-fixes` option" in out
    status, out, _ = check(str(path), "--fix", "--unsafe-fixes")
    assert status == 0
    assert path.read_text().endswith('if __name__ == "__main__":\n    result = etl()\n')


def test_diff_shows_the_fix_and_writes_nothing(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    source = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n"
    path.write_text(source)
    status, out, err = check(str(path), "--diff")
    assert status == 1 and path.read_text() == source
    assert '+if __name__ == "__main__":' in out and "-etl()" in out
    assert "Would fix 1 finding." in err


@pytest.mark.parametrize("fixture", sorted(FIXTURES.rglob("*.py")), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_every_fix_in_the_fixtures(fixture: Path, tmp_path: Path, check) -> None:
    """Applying all fixes (unsafe included) leaves parseable code without fixable findings, idempotently."""
    copy = tmp_path / fixture.name
    shutil.copy(fixture, copy)
    _, before = check.json(str(copy))
    fixable = [f for f in before if f["fix"]]
    check(str(copy), "--fix", "--unsafe-fixes")
    fixed_text = copy.read_text(encoding="utf-8")
    ast.parse(fixed_text)
    _, after = check.json(str(copy))
    assert not [f for f in after if f["fix"]], after
    gone = {(f["code"], f["message"]) for f in fixable} - {(f["code"], f["message"]) for f in after}
    assert len(gone) == len({(f["code"], f["message"]) for f in fixable})
    check(str(copy), "--fix", "--unsafe-fixes")
    assert copy.read_text(encoding="utf-8") == fixed_text


def test_fixes_are_written_atomically_keeping_permissions_and_bom(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    source = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n"
    path.write_bytes(b"\xef\xbb\xbf" + source.encode())
    path.chmod(0o751)
    status, _, _ = check(str(path), "--fix")
    assert status == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b'if __name__ == "__main__":' in data
    assert path.stat().st_mode & 0o777 == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["module.py"]  # no temporary file left


def test_a_file_changed_during_the_fix_is_left_alone(tmp_path: Path, check, monkeypatch) -> None:
    import prefect_pitfalls.workspace as workspace

    path = tmp_path / "module.py"
    source = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n"
    path.write_text(source)
    real_fix = workspace.fix

    def fix_while_someone_edits(*args, **kwargs):
        result = real_fix(*args, **kwargs)
        path.write_text(source + "# typed meanwhile\n")
        return result

    monkeypatch.setattr(workspace, "fix", fix_while_someone_edits)
    status, out, err = check(str(path), "--fix", "--jobs", "1")
    assert status == 2 and "changed on disk while being fixed; left as it is" in err
    assert path.read_text() == source + "# typed meanwhile\n"


def test_a_fix_after_the_last_line_of_a_file_without_a_final_line_break(tmp_path: Path, check) -> None:
    path = tmp_path / "flows.py"
    path.write_text("from prefect import flow, task\n\nSEEN = []\n\n\n@task\ndef remember(item):\n    SEEN.append(item)")
    status, _, err = check(str(path), "--fix", "--unsafe-fixes", "--select", "PP102")
    fixed = path.read_text()
    ast.parse(fixed)
    assert fixed.endswith('    SEEN.append(item)\n    Variable.set("flows-seen", SEEN, overwrite=True)'), fixed


def test_a_deployment_applied_at_import_moves_into_the_guard_with_what_builds_it(tmp_path: Path, check) -> None:
    path = tmp_path / "reports.py"
    path.write_text(_text(
        """
        from prefect import flow
        from prefect.deployments import Deployment


        @flow
        def refresh():
            return 1


        nightly = Deployment.build_from_flow(flow=refresh, name="nightly")
        nightly.apply()
        """
    ))
    status, out, _ = check(str(path), "--fix")
    assert status == 1 and "hidden fix" in out  # moving the assignment is unsafe
    check(str(path), "--fix", "--unsafe-fixes")
    assert path.read_text().endswith(
        'if __name__ == "__main__":\n'
        '    nightly = Deployment.build_from_flow(flow=refresh, name="nightly")\n'
        "    nightly.apply()\n"
    )
    assert check(str(path))[0] == 0
