"""PP306 on project layouts that declare or provide code outside the usual places: a
pip-compile output, git submodules, folders a flow module adds to `sys.path`.

Each project is copied into its own repository (`project_copy`) and checked through the CLI,
in both directions: what the layout makes declared or local is not reported, and the same
import is reported once the layout no longer provides it.
"""

from __future__ import annotations

from pathlib import Path

from test_dependency_rules import apply_unsafe_fixes, project_copy


def pp306(check, root: Path) -> list[tuple[str, int, str]]:
    """(file relative to the root, line, message) of each PP306 finding."""
    _, findings = check.json(str(root), "--select", "PP306")
    return sorted((Path(f["path"]).relative_to(root).as_posix(), f["line"], f["message"]) for f in findings)


def reported(check, root: Path) -> list[tuple[str, int, str]]:
    """(file, line, distribution named first in the message) of each PP306 finding."""
    return [(path, line, message.split("`")[1]) for path, line, message in pp306(check, root)]


def drop_lines(path: Path, *starts: str) -> None:
    """Remove the lines starting with one of ``starts`` and the indented lines that follow them."""
    kept, dropping = [], False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith(starts):
            dropping = True
            continue
        if dropping and line.startswith((" ", "\t")):
            continue
        dropping = False
        kept.append(line)
    path.write_text("".join(kept))


# --- pip-compile outputs ------------------------------------------------------------------


def test_every_name_pinned_by_pip_compile_is_declared(tmp_path: Path, check) -> None:
    root = project_copy("pp306_pip_compile", tmp_path)
    findings = pp306(check, root)
    # numpy, python-dateutil (via pandas) and aiobotocore (via s3fs) are declared by the
    # compiled file; the hashes, options and `# via` comments are no unreadable line.
    assert findings == [(
        "flows/etl.py", 2,
        "`boto3` is not declared: the import fails where the flow is deployed. It is not in `requirements.txt`.",
    )]


def test_a_transitive_name_the_compiled_file_lacks_is_reported(tmp_path: Path, check) -> None:
    root = project_copy("pp306_pip_compile", tmp_path)
    drop_lines(root / "requirements.txt", "aiobotocore==")
    assert reported(check, root) == [("flows/etl.py", 1, "aiobotocore"), ("flows/etl.py", 2, "boto3")]


def test_the_source_is_not_what_is_installed(tmp_path: Path, check) -> None:
    root = project_copy("pp306_pip_compile", tmp_path)
    with (root / "requirements.in").open("a") as source:
        source.write("boto3\n")
    assert reported(check, root) == [("flows/etl.py", 2, "boto3")]


def test_the_fix_adds_to_the_source_of_the_compiled_file(tmp_path: Path, check) -> None:
    root = project_copy("pp306_pip_compile", tmp_path)
    compiled = (root / "requirements.txt").read_text()
    source = (root / "requirements.in").read_text()
    _, findings = check.json(str(root), "--select", "PP306")
    assert [f["fix"]["title"] for f in findings] == ["Add `boto3` to `requirements.in`"]
    assert [edit["path"] for edit in findings[0]["fix"]["edits"]] == [(root / "requirements.in").as_posix()]
    remaining = apply_unsafe_fixes(check, root)
    assert (root / "requirements.in").read_text() == source + "boto3\n"
    assert (root / "requirements.txt").read_text() == compiled
    # Installed once compiled again: until then the compiled file still lacks it.
    assert [(f["line"], f["message"].split("`")[1]) for f in remaining] == [(2, "boto3")]


def test_without_a_source_the_fix_adds_to_the_compiled_file(tmp_path: Path, check) -> None:
    root = project_copy("pp306_pip_compile", tmp_path)
    (root / "requirements.in").unlink()
    _, findings = check.json(str(root), "--select", "PP306")
    assert [f["fix"]["title"] for f in findings] == ["Add `boto3` to `requirements.txt`"]


# --- git submodules -----------------------------------------------------------------------


def test_what_submodules_provide_is_local(tmp_path: Path, check) -> None:
    root = project_copy("pp306_submodule", tmp_path)
    # libfoo in vendor/libfoo, shapes in vendor/shapes/src, geo_tools a submodule not checked out.
    assert reported(check, root) == [("flows/etl.py", 1, "boto3")]


def test_without_gitmodules_the_same_imports_are_third_party(tmp_path: Path, check) -> None:
    root = project_copy("pp306_submodule", tmp_path)
    (root / ".gitmodules").unlink()
    assert reported(check, root) == [
        ("flows/etl.py", 1, "boto3"), ("flows/etl.py", 2, "geo_tools"),
        ("flows/etl.py", 3, "libfoo"), ("flows/etl.py", 5, "shapes"),
    ]


def test_a_removed_submodule_is_read_again(tmp_path: Path, check) -> None:
    root = project_copy("pp306_submodule", tmp_path)
    assert reported(check, root) == [("flows/etl.py", 1, "boto3")]
    gitmodules = root / ".gitmodules"
    gitmodules.write_text(gitmodules.read_text().replace("path = vendor/libfoo", "path = vendor/libbar"))
    assert reported(check, root) == [("flows/etl.py", 1, "boto3"), ("flows/etl.py", 3, "libfoo")]


def test_a_git_file_marks_the_repository_too(tmp_path: Path, check) -> None:
    """A worktree or a repository that is itself a submodule has a `.git` file."""
    root = project_copy("pp306_submodule", tmp_path)
    (root / ".git").rmdir()
    (root / ".git").write_text("gitdir: ../.git/worktrees/pp306_submodule\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "outer"\ndependencies = []\n')
    assert reported(check, root) == [("flows/etl.py", 1, "boto3")]


def test_the_fix_never_declares_a_submodule(tmp_path: Path, check) -> None:
    root = project_copy("pp306_submodule", tmp_path)
    requirements = root / "requirements.txt"
    apply_unsafe_fixes(check, root)
    assert requirements.read_text() == "prefect>=3\nboto3\n"


# --- sys.path insertions ------------------------------------------------------------------


def test_folders_a_flow_module_adds_to_sys_path_are_local(tmp_path: Path, check) -> None:
    root = project_copy("pp306_sys_path", tmp_path)
    # etl.py adds ../shared at module level, nightly.py ../common in its flow; from_cwd.py adds
    # a folder of the working directory, which is not computed: its import stays third-party.
    assert reported(check, root) == [("flows/etl.py", 6, "boto3"), ("flows/from_cwd.py", 9, "utils_x")]


def test_without_the_insertion_the_same_import_is_third_party(tmp_path: Path, check) -> None:
    root = project_copy("pp306_sys_path", tmp_path)
    assert ("flows/etl.py", 7, "utils_x") not in reported(check, root)
    etl = root / "flows" / "etl.py"
    etl.write_text(etl.read_text().replace("sys.path.insert(0, ", "print("))
    assert ("flows/etl.py", 7, "utils_x") in reported(check, root)


def test_an_insertion_of_another_folder_provides_nothing(tmp_path: Path, check) -> None:
    root = project_copy("pp306_sys_path", tmp_path)
    nightly = root / "flows" / "nightly.py"
    nightly.write_text(nightly.read_text().replace('"..", "common"', '"..", "shared"'))
    assert ("flows/nightly.py", 10, "common_y") in reported(check, root)
