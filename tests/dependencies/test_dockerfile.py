"""What a Dockerfile's image contains, where the build context's files land, and what it installs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from prefect_pitfalls.dependencies.dockerfile import (
    Copy,
    auto_dockerfile_image,
    auto_dockerfile_lines,
    context_path_of,
    image_path_of,
    image_paths_of,
    is_dockerignored,
    locate_build,
    parse_dockerfile,
    read_dockerfile,
)

P = PurePosixPath

PROJECT_FILES = {
    "flows/etl.py": "",
    "flows/helpers/__init__.py": "",
    "src/shared/__init__.py": "",
    "utils.py": "",
    "requirements.txt": "pandas\n",
    "requirements-dev.txt": "pytest\n",
    "pyproject.toml": "[project]\nname = 'etl'\n",
    "notebooks/scratch.py": "",
    "packages/etl/pyproject.toml": "",
}


@pytest.fixture
def project(write) -> Path:
    return write(PROJECT_FILES)


def test_subset_of_the_tree_under_the_prefect_image_folder(write, project: Path) -> None:
    write({"Dockerfile": """\
        FROM prefecthq/prefect:3-python3.12
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY flows/ /opt/prefect/flows/
        """})
    image = read_dockerfile(project / "Dockerfile")

    assert image.workdir == P("/opt/prefect")
    assert image.copies == (
        Copy("requirements.txt", P("/opt/prefect"), True, 2),
        Copy("flows", P("/opt/prefect/flows"), True, 4),
    )
    assert image_path_of(image, project, project / "flows/etl.py") == P("/opt/prefect/flows/etl.py")
    assert image_path_of(image, project, project / "flows/helpers") == P("/opt/prefect/flows/helpers")
    assert image_path_of(image, project, project / "utils.py") is None
    assert context_path_of(image, project, "/opt/prefect/flows/helpers/__init__.py") == (
        project / "flows/helpers/__init__.py"
    )
    assert context_path_of(image, project, "/opt/prefect/utils.py") is None
    [requirements] = image.installed_requirement_files
    assert (requirements.path, requirements.line) == (P("/opt/prefect/requirements.txt"), 3)
    assert requirements.context_path(project) == project / "requirements.txt"
    assert not image.unknown_content


def test_copy_all_relative_to_workdir_with_renames_and_json_form(write, project: Path) -> None:
    write({"Dockerfile": """\
        # syntax=docker/dockerfile:1
        from python:3.11-slim
        workdir /srv
        WORKDIR app
        COPY --chown=app:app --chmod=644 --link . .
        COPY ["utils.py", "/usr/lib/extra/helpers.py"]
        ADD flows/etl.py /jobs/
        """})
    image = read_dockerfile(project / "Dockerfile")

    assert (image.workdir, image.workdir_line) == (P("/srv/app"), 4)
    assert image_path_of(image, project, project / "src/shared/__init__.py") == P("/srv/app/src/shared/__init__.py")
    assert image_paths_of(image, project, project / "utils.py") == (P("/srv/app/utils.py"), P("/usr/lib/extra/helpers.py"))
    assert image_path_of(image, project, project / "flows/etl.py") == P("/jobs/etl.py")
    assert context_path_of(image, project, "/usr/lib/extra/helpers.py") == project / "utils.py"
    assert context_path_of(image, project, "/srv/app/flows/etl.py") == project / "flows/etl.py"


def test_dockerignore_with_exceptions_and_double_star(write, project: Path) -> None:
    write({
        ".dockerignore": """\
            # local only
            notebooks
            **/__pycache__
            requirements*.txt
            !requirements.txt
            /flows/helpers/
            src
            !src/shared/__init__.py
            """,
        "flows/__pycache__/etl.cpython-311.pyc": "",
        "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\n",
    })
    image = read_dockerfile(project / "Dockerfile")

    assert image_path_of(image, project, project / "notebooks/scratch.py") is None
    assert image_path_of(image, project, project / "flows/__pycache__/etl.cpython-311.pyc") is None
    assert image_path_of(image, project, project / "requirements-dev.txt") is None
    assert image_path_of(image, project, project / "requirements.txt") == P("/app/requirements.txt")
    assert image_path_of(image, project, project / "flows/helpers/__init__.py") is None
    assert image_path_of(image, project, project / "flows/etl.py") == P("/app/flows/etl.py")
    assert image_path_of(image, project, project / "src/shared/__init__.py") == P("/app/src/shared/__init__.py")
    assert context_path_of(image, project, "/app/notebooks/scratch.py") is None
    assert is_dockerignored(project, "notebooks") and not is_dockerignored(project, "flows/notebooks")


def test_multi_stage_follows_copies_from_a_stage_of_the_context(write, project: Path) -> None:
    write({"Dockerfile": """\
        ARG PYTHON=3.12
        FROM python:${PYTHON}-slim AS Builder
        WORKDIR /build
        COPY pyproject.toml requirements.txt ./
        RUN pip wheel -r requirements.txt -w /wheels \\
            && pip install --prefix=/install -r requirements.txt
        COPY src ./src

        FROM python:${PYTHON}-slim
        COPY --from=builder /install /usr/local
        COPY --from=builder /build/src /app/src
        COPY --from=0 /build/requirements.txt /etc/app/
        COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/
        WORKDIR /app
        """})
    image = read_dockerfile(project / "Dockerfile")

    assert image.workdir == P("/app")
    assert image_path_of(image, project, project / "src/shared/__init__.py") == P("/app/src/shared/__init__.py")
    assert image_path_of(image, project, project / "pyproject.toml") is None
    assert image_path_of(image, project, project / "requirements.txt") == P("/etc/app/requirements.txt")
    assert context_path_of(image, project, "/etc/app/requirements.txt") == project / "requirements.txt"
    assert context_path_of(image, project, "/app/src/shared/__init__.py") == project / "src/shared/__init__.py"
    assert image.unknown_paths == (P("/usr/local"), P("/bin"))
    [requirements] = image.installed_requirement_files
    assert requirements.path == P("/build/requirements.txt")
    assert requirements.context_path(project) == project / "requirements.txt"


def test_final_stage_from_an_earlier_stage_inherits_it(write, project: Path) -> None:
    write({"Dockerfile": """\
        FROM python:3.12 AS base
        WORKDIR /app
        COPY flows flows
        FROM base
        ENV PYTHONPATH=/app/src:$PYTHONPATH
        COPY src src
        """})
    image = read_dockerfile(project / "Dockerfile")

    assert image.workdir == P("/app")
    assert image_path_of(image, project, project / "flows/etl.py") == P("/app/flows/etl.py")
    assert image.pythonpath == (P("/app/src"), P("/app"))


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("ENV PYTHONPATH=/opt/prefect/src:/opt/prefect", (P("/opt/prefect/src"), P("/opt/prefect"))),
        ('ENV PYTHONPATH "${PYTHONPATH}:/opt/prefect/"', (P("/code"), P("/opt/prefect"))),
        ('ENV APP=/srv PYTHONPATH="${APP}/lib"', (P("/lib"),)),
        ("ENV APP /srv\nENV PYTHONPATH ${APP}/lib:lib", (P("/srv/lib"), P("/code/lib"))),
        ("ENV PYTHONPATH=", ()),
    ],
)
def test_pythonpath_in_both_env_syntaxes(instruction: str, expected: tuple[PurePosixPath, ...]) -> None:
    image = parse_dockerfile(f"FROM python:3.12\nWORKDIR /code\n{instruction}\n")

    assert image.pythonpath == expected
    assert image.pythonpath_line == 2 + instruction.count("\n") + 1


def test_unknown_variables_and_base_images_leave_paths_unknown() -> None:
    image = parse_dockerfile("FROM registry.example.com/base:1\nARG TARGET\nCOPY . $TARGET\n")

    assert image.workdir is None
    assert image.pythonpath is None and not image.pythonpath_unknown
    assert image.copies == ()
    assert image.unknown_content


def test_pythonpath_from_an_unknown_variable_is_unknown() -> None:
    image = parse_dockerfile("FROM python:3.12\nARG EXTRA\nENV PYTHONPATH=$EXTRA:/app\n")

    assert image.pythonpath is None and image.pythonpath_unknown and image.pythonpath_line == 3


def test_build_args_and_escape_directive() -> None:
    text = "# escape=`\nFROM python:3.12\nARG APP=/default\nWORKDIR $APP\nRUN pip install `\n    requests\n"

    assert parse_dockerfile(text).workdir == P("/default")
    image = parse_dockerfile(text, build_args={"APP": "/given"})
    assert image.workdir == P("/given")
    assert [(r.text, r.line) for r in image.installed_names] == [("requests", 5)]


def test_installers_in_run(write, project: Path) -> None:
    write({"Dockerfile": """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        # a comment between instructions
        RUN --mount=type=cache,target=/root/.cache \\
            python -m pip install --upgrade pip "prefect[aws]>=3" boto3==1.34 \\
            # comment inside the continuation
            && pip install --requirement=requirements.txt -e . > /dev/null 2>&1 \\
            && cd packages/etl && pip install . && cd $HOME && pip install ./lib && cd /app
        RUN uv pip install --system -r /app/requirements.txt ./src
        RUN uv sync --frozen --package etl --no-dev
        RUN ["poetry", "install", "--no-root", "-C", "/app/packages/etl"]
        RUN <<EOF
        set -e
        uv pip sync requirements-dev.txt
        EOF
        """})
    image = read_dockerfile(project / "Dockerfile")

    assert [r.text for r in image.installed_names] == ["pip", "prefect[aws]>=3", "boto3==1.34"]
    assert {r.name for r in image.installed_names} == {"pip", "prefect", "boto3"}
    assert [(f.path, f.line) for f in image.installed_requirement_files] == [
        (P("/app/requirements.txt"), 5), (P("/app/requirements.txt"), 10), (P("/app/requirements-dev.txt"), 13),
    ]
    assert [(p.path, p.line) for p in image.installs_project_at] == [
        (P("/app"), 5), (P("/app/packages/etl"), 5), (P("/app/src"), 10), (P("/app"), 11),
        (P("/app/packages/etl"), 12),
    ]
    assert image.uv_sync_packages == ("etl",)
    assert image.installs_project_at[1].context_path(project) == project / "packages/etl"


def test_add_of_urls_and_archives_is_unknown_content() -> None:
    image = parse_dockerfile(
        "FROM python:3.12\nWORKDIR /app\nADD https://example.com/tool.py /opt/tool.py\n"
        "ADD vendor.tar.gz /vendor/\nADD git@github.com:org/lib.git /lib\nADD flows /app/flows\n"
    )

    assert image.unknown_paths == (P("/opt/tool.py"), P("/vendor"), P("/lib"))
    assert image.copies == (Copy("flows", P("/app/flows"), False, 6),)


def test_wildcards_match_one_path_segment(write, project: Path) -> None:
    write({"Dockerfile": "FROM python:3.12\nCOPY flows/*.py requirements*.txt /app/\nCOPY src/[^x]* /lib/\n"})
    image = read_dockerfile(project / "Dockerfile")

    assert image_path_of(image, project, project / "flows/etl.py") == P("/app/etl.py")
    assert image_path_of(image, project, project / "flows/helpers/__init__.py") is None
    assert image_path_of(image, project, project / "requirements-dev.txt") == P("/app/requirements-dev.txt")
    assert image_path_of(image, project, project / "src/shared/__init__.py") == P("/lib/__init__.py")
    assert context_path_of(image, project, "/app/requirements.txt") == project / "requirements.txt"
    assert context_path_of(image, project, "/lib/__init__.py") == project / "src/shared/__init__.py"


def test_build_step_reads_the_dockerfile_relative_to_the_context(write, project: Path) -> None:
    write({"docker/etl.Dockerfile": "FROM python:3.12\nWORKDIR /etl\nCOPY flows flows\n"})

    image, context = locate_build([project], "docker/etl.Dockerfile")

    assert image.path == project / "docker/etl.Dockerfile" and context == project
    assert image_path_of(image, project, project / "flows/etl.py") == P("/etl/flows/etl.py")
    assert locate_build([project]) is None
    assert locate_build([project / "flows"], "docker/etl.Dockerfile", "..")[0].workdir == P("/etl")


def test_the_dockerfile_is_looked_for_from_each_folder_prefect_deploy_may_run_in(write, project: Path) -> None:
    write({"docker/etl.Dockerfile": "FROM python:3.12\nWORKDIR /etl\nCOPY flows flows\n"})

    image, context = locate_build([project / "flows", project], "docker/etl.Dockerfile")

    assert context == project and image.workdir == P("/etl")


def test_auto_dockerfile_model(project: Path) -> None:
    image, _ = locate_build([project], "auto")

    name = project.name
    assert image == auto_dockerfile_image(project)
    assert image.workdir == P(f"/opt/prefect/{name}")
    assert [f.path for f in image.installed_requirement_files] == [P(f"/opt/prefect/{name}/requirements.txt")]
    assert image_path_of(image, project, project / "utils.py") == P(f"/opt/prefect/{name}/utils.py")
    assert context_path_of(image, project, f"/opt/prefect/{name}/flows/etl.py") == project / "flows/etl.py"


@pytest.mark.parametrize("with_requirements", [True, False])
def test_auto_model_matches_prefects_generated_dockerfile(tmp_path: Path, with_requirements: bool) -> None:
    dockerutils = pytest.importorskip("prefect.utilities.dockerutils")
    context = tmp_path / "etl-project"
    context.mkdir()
    if with_requirements:
        (context / "requirements.txt").write_text("pandas\n")
    with dockerutils.generate_default_dockerfile(context) as dockerfile:
        generated = Path(dockerfile).read_text()

    lines = generated.splitlines()
    assert lines[0].startswith("FROM prefecthq/prefect:")
    assert lines[1:] == auto_dockerfile_lines(context)[1:]
    assert replace(parse_dockerfile(generated), path=None) == auto_dockerfile_image(context)
