"""PP307 resolves a deployment's entrypoint from every folder Prefect may resolve it from: the
`prefect.yaml`'s folder, the repository and project roots (`prefect deploy --prefect-file` run
from the root), and where the pull steps leave the working directory."""

from __future__ import annotations

import textwrap
from pathlib import Path

FLOW = "from prefect import flow\n\n\n@flow\ndef {name}():\n    return 1\n"


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def pp307(check, root: Path) -> list[dict]:
    return check.json(str(root), "--select", "PP307", "--no-probe")[1]


def test_per_folder_yaml_files_deployed_from_the_root_resolve(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    for pipeline in ("sales", "stock"):
        write(root, f"pipelines/{pipeline}/flow.py", FLOW.format(name=pipeline))
        write(root, f"pipelines/{pipeline}/prefect.yaml", f"""\
            pull:
            - prefect.deployments.steps.set_working_directory:
                directory: /opt/prefect/monorepo
            deployments:
            - name: {pipeline}
              entrypoint: pipelines/{pipeline}/flow.py:{pipeline}
            """)
    assert pp307(check, root) == []


def test_a_file_found_from_no_base_lists_the_bases(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "pyproject.toml", "[project]\nname = 'jobs'\nversion = '0'\n")
    write(root, "pipelines/sales/flow.py", FLOW.format(name="sales"))
    write(root, "pipelines/sales/prefect.yaml", """\
        deployments:
        - name: sales
          entrypoint: pipelines/sales/flows.py:sales
        """)
    (finding,) = pp307(check, root)
    assert finding["line"] == 3
    assert finding["message"].startswith("The entrypoint's file does not exist: a worker cannot load the flow. ")
    assert (
        "`pipelines/sales/flows.py` was looked for from the folder of prefect.yaml (`pipelines/sales`), "
        "the repository root and the project root (`.`)"
    ) in finding["message"]


def test_set_working_directory_to_a_subfolder_resolves_there(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "src/jobs/etl.py", FLOW.format(name="etl"))
    yaml = write(root, "deploy/prefect.yaml", """\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: /opt/prefect/app/src/jobs
        deployments:
        - name: etl
          entrypoint: etl.py:etl
        """)
    assert pp307(check, root) == []
    # Without the pull step nothing resolves `etl.py`.
    yaml.write_text(yaml.read_text().replace("directory: /opt/prefect/app/src/jobs", "directory: /opt/prefect/app"))
    (finding,) = pp307(check, root)
    assert "does not exist" in finding["message"] and "set_working_directory" not in finding["message"]


def test_a_windows_path_and_a_clone_template_map_onto_the_tree(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "src/jobs/etl.py", FLOW.format(name="etl"))
    write(root, "prefect.yaml", """\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: 'E:\\ETL\\checkout\\src\\jobs'
        deployments:
        - name: on-windows
          entrypoint: etl.py:etl
        - name: cloned
          entrypoint: etl.py:etl
          pull:
          - prefect.deployments.steps.git_clone:
              id: clone-step
              repository: https://example.com/repo.git
          - prefect.deployments.steps.set_working_directory:
              directory: "{{ clone-step.directory }}/src/jobs"
        """)
    assert pp307(check, root) == []


def test_a_tail_naming_two_folders_is_not_a_base(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "src/jobs/etl.py", FLOW.format(name="etl"))
    (root / "jobs").mkdir()
    write(root, "prefect.yaml", """\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: /app/src/jobs
        deployments:
        - name: etl
          entrypoint: etl.py:etl
        """)
    (finding,) = pp307(check, root)
    assert "does not exist" in finding["message"] and "set_working_directory" not in finding["message"]


def test_a_deployments_own_pull_steps_replace_the_top_level_ones(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "jobs_a/etl.py", FLOW.format(name="etl"))
    (root / "jobs_b").mkdir()
    write(root, "prefect.yaml", """\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: /opt/prefect/jobs_a
        deployments:
        - name: top-level-pull
          entrypoint: etl.py:etl
        - name: own-pull
          entrypoint: etl.py:etl
          pull:
          - prefect.deployments.steps.set_working_directory:
              directory: /opt/prefect/jobs_b
        """)
    (finding,) = pp307(check, root)
    assert finding["line"] == 8
    assert "the set_working_directory pull step (`jobs_b`)" in finding["message"], finding["message"]


def test_git_clone_resolves_from_the_repository_root(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "flows/etl.py", FLOW.format(name="etl"))
    write(root, "deploy/prefect.yaml", """\
        pull:
        - prefect.deployments.steps.git_clone:
            repository: https://example.com/repo.git
        deployments:
        - name: etl
          entrypoint: flows/etl.py:etl
        - name: gone
          entrypoint: flows/old.py:etl
        """)
    (finding,) = pp307(check, root)
    assert finding["line"] == 8
    assert "the repository root and the git_clone pull step (`.`)" in finding["message"], finding["message"]


def test_a_path_differing_in_case_gets_its_own_message(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "scripts/Sync_Orders.py", FLOW.format(name="sync"))
    write(root, "prefect.yaml", """\
        deployments:
        - name: sync
          entrypoint: scripts/sync_orders.py:sync
        """)
    (finding,) = pp307(check, root)
    message = finding["message"]
    assert message.startswith("The entrypoint's file differs in case from `scripts/Sync_Orders.py`: fails on Linux workers.")
    assert "does not exist" not in message


def test_a_name_that_is_not_a_flow_is_reported_where_the_file_resolves(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "pipelines/sales/flow.py", FLOW.format(name="sales") + "\n\ndef helper():\n    return 2\n")
    write(root, "pipelines/sales/prefect.yaml", """\
        deployments:
        - name: sales
          entrypoint: pipelines/sales/flow.py:helper
        - name: typo
          entrypoint: pipelines/sales/flow.py:sale
        """)
    messages = [f["message"] for f in pp307(check, root)]
    assert messages == [
        "`helper` in `pipelines/sales/flow.py` is not a Prefect flow (no `@flow`): a worker cannot run it",
        "`pipelines/sales/flow.py` defines no flow `sale`; its flows: `sales`",
    ]
