"""A deployment whose build step builds a Docker image runs its flow in that image: PP308 resolves
the flow's imports against what the Dockerfile copies (and `PYTHONPATH` it sets), PP306 counts
what its `RUN` lines install. `tests/projects/pp308_docker_subset` copies only `flows/`."""

from __future__ import annotations

import json
from pathlib import Path

from test_dependency_rules import project_copy


def findings(check, root: Path, code: str) -> list[tuple[str, int, str]]:
    _, found = check.json(str(root), "--select", code, "--no-probe")
    return [(Path(f["path"]).relative_to(root).as_posix(), f["line"], f["message"]) for f in found]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_package_the_dockerfile_does_not_copy_is_reported(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    ((path, line, message),) = findings(check, root, "PP308")
    assert (path, line) == ("flows/etl.py", 6)
    assert message.startswith("A worker cannot import `common`: the deployment's image does not contain it. ")
    assert "image built from `Dockerfile`, with `/opt/prefect/etl/flows`, `/opt/prefect/etl` first on sys.path" in message
    assert message.endswith("`common/` is not copied into it.")


def test_the_finding_points_at_the_deployments_entrypoint(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    status, out, _ = check(str(root), "--select", "PP308", "--no-probe", "--format", "sarif")
    (result,) = json.loads(out)["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"].endswith("prefect.yaml")
    assert related["physicalLocation"]["region"]["startLine"] == 24
    assert related["message"]["text"] == "The entrypoint of `nightly-etl`"


def test_copying_the_whole_context_resolves_it(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "Dockerfile", "COPY flows/ flows/", "COPY . .")
    assert findings(check, root, "PP308") == []


def test_a_dockerignored_package_is_not_in_the_image(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "Dockerfile", "COPY flows/ flows/", "COPY . .")
    (root / ".dockerignore").write_text("**/__pycache__\ncommon\n")
    assert [line for _, line, _ in findings(check, root, "PP308")] == [6]


def test_a_package_copied_below_a_pythonpath_folder_resolves(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "Dockerfile", "COPY flows/ flows/", "COPY flows/ flows/\nCOPY common/ shared/common/\nENV PYTHONPATH=/opt/prefect/etl/shared")
    assert findings(check, root, "PP308") == []


def test_a_package_copied_elsewhere_is_reported_with_where_it_landed(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "Dockerfile", "COPY flows/ flows/", "COPY flows/ flows/\nCOPY common/ /srv/common/")
    ((_, line, message),) = findings(check, root, "PP308")
    assert line == 6 and message.startswith("A worker cannot import `common`: its folder is not on the flow's sys.path. ")
    assert "`common/` is copied to `/srv/common`" in message


def test_the_auto_dockerfile_copies_the_context_to_the_working_directory(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "prefect.yaml", "dockerfile: Dockerfile", "dockerfile: auto")
    replace_in(root / "prefect.yaml", "pull:\n- prefect.deployments.steps.set_working_directory:\n    directory: /opt/prefect/etl\n", "")
    assert findings(check, root, "PP308") == []


def test_what_the_dockerfile_installs_is_declared(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    assert [message.split("`")[1] for _, _, message in findings(check, root, "PP306")] == ["paramiko"]
    replace_in(root / "Dockerfile", ' \\\n    && pip install --no-cache-dir "boto3>=1.34"', "")
    assert [message.split("`")[1] for _, _, message in findings(check, root, "PP306")] == ["boto3", "paramiko"]


def test_a_dockerfile_named_from_the_repository_root_is_read(tmp_path: Path, check) -> None:
    """`prefect deploy --prefect-file pipelines/etl/prefect.yaml` run at the root reads the
    step's `dockerfile:` from there."""
    root = project_copy("pp308_docker_subset", tmp_path)
    pipeline = root / "pipelines" / "etl"
    pipeline.mkdir(parents=True)
    (root / "prefect.yaml").rename(pipeline / "prefect.yaml")
    (root / "Dockerfile").rename(pipeline / "Dockerfile")
    replace_in(pipeline / "prefect.yaml", "dockerfile: Dockerfile", "dockerfile: pipelines/etl/Dockerfile")
    assert [line for _, line, _ in findings(check, root, "PP308")] == [6]
    assert [message.split("`")[1] for _, _, message in findings(check, root, "PP306")] == ["paramiko"]


def test_an_image_built_on_an_unknown_base_may_hold_anything(tmp_path: Path, check) -> None:
    root = project_copy("pp308_docker_subset", tmp_path)
    replace_in(root / "Dockerfile", "FROM prefecthq/prefect:3-python3.11", "FROM ghcr.io/example/etl-base:latest")
    assert findings(check, root, "PP308") == []
    assert findings(check, root, "PP306") == []
