"""Import names → distributions: the table of known mismatches never disagrees with real metadata."""

from __future__ import annotations

import importlib.metadata
from functools import lru_cache

import pytest
from prefect_pitfalls.dependencies import (
    KNOWN_DISTRIBUTIONS,
    canonical,
    distributions_for,
)

MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")


@lru_cache(maxsize=1)
def installed() -> dict[str, importlib.metadata.Distribution]:
    found = {}
    for dist in importlib.metadata.distributions():
        found.setdefault(canonical(dist.metadata["Name"]), dist)
    return found


@lru_cache(maxsize=1)
def modules_by_distribution() -> dict[str, set[str]]:
    """Every dotted module name (and package prefix) each installed distribution ships."""
    found: dict[str, set[str]] = {}
    for name, dist in installed().items():
        modules = found.setdefault(name, set())
        for file in dist.files or ():
            parts = list(file.parts)
            if not parts or parts[0] == ".." or not parts[-1].endswith(MODULE_SUFFIXES):
                continue
            stem = parts.pop().split(".")[0]
            if stem != "__init__":
                parts.append(stem)
            for depth in range(1, len(parts) + 1):
                modules.add(".".join(parts[:depth]))
    return found


def providers(import_name: str) -> set[str]:
    return {dist for dist, modules in modules_by_distribution().items() if import_name in modules}


def test_the_environment_is_worth_checking_against():
    """The test environment has several distributions whose import names differ."""
    mismatched = [key for key in KNOWN_DISTRIBUTIONS if providers(key)]
    assert len(mismatched) >= 8, mismatched


@pytest.mark.parametrize("import_name", sorted(KNOWN_DISTRIBUTIONS))
def test_table_entries_agree_with_installed_metadata(import_name: str):
    table = {canonical(d) for d in KNOWN_DISTRIBUTIONS[import_name]}
    real = providers(import_name)
    if real:
        assert table & real, f"{import_name} is provided by {real}, the table says {table}"
    for dist in table & set(installed()):
        assert import_name in modules_by_distribution()[dist], f"{dist} does not provide {import_name}"


def test_packages_distributions_agrees_with_the_table():
    """The stdlib's own mapping of the test environment, for every top-level table key."""
    mapping = importlib.metadata.packages_distributions()
    for import_name, dists in KNOWN_DISTRIBUTIONS.items():
        if "." in import_name or import_name not in mapping:
            continue
        assert {canonical(d) for d in dists} & {canonical(d) for d in mapping[import_name]}, import_name


@pytest.mark.parametrize("import_name", sorted(KNOWN_DISTRIBUTIONS))
def test_every_entry_differs_from_its_import_name(import_name: str):
    top_level = import_name.partition(".")[0]
    dists = KNOWN_DISTRIBUTIONS[import_name]
    assert len(dists) > 1 or canonical(dists[0]) != canonical(top_level)
    assert all(part.isidentifier() for part in import_name.split("."))


def test_the_table_is_big_enough():
    assert len(KNOWN_DISTRIBUTIONS) >= 40


@pytest.mark.parametrize(("import_name", "expected"), [
    ("yaml", ("PyYAML", "yaml")),
    ("sklearn.linear_model", ("scikit-learn", "sklearn")),
    ("PIL.Image", ("Pillow", "pillow-simd", "PIL")),
    ("cv2", ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless", "cv2")),
    ("bs4", ("beautifulsoup4", "bs4")),
    ("dateutil.parser", ("python-dateutil", "dateutil")),
    ("psycopg2.extras", ("psycopg2", "psycopg2-binary")),
    ("pandas", ("pandas",)),
    ("google.cloud.storage", ("google-cloud-storage",)),
    ("google.cloud.bigquery.table", ("google-cloud-bigquery",)),
    ("google.cloud.pubsub_v1", ("google-cloud-pubsub",)),
    ("google.cloud.secretmanager", ("google-cloud-secret-manager",)),
    ("google.cloud.sql.connector", ("cloud-sql-python-connector",)),
    ("google.protobuf.json_format", ("protobuf",)),
    ("azure.identity", ("azure-identity",)),
    ("azure.storage.blob.aio", ("azure-storage-blob",)),
    ("snowflake.connector", ("snowflake-connector-python",)),
    ("ruamel.yaml", ("ruamel.yaml",)),
])
def test_without_an_environment(import_name: str, expected: tuple[str, ...]):
    assert distributions_for(import_name) == expected


def test_the_environment_comes_first_and_the_table_adds_alternatives():
    environment = {"yaml": ["PyYAML"], "psycopg2": ["psycopg2-binary"], "mymod": ["acme-mymod"]}
    assert distributions_for("psycopg2", environment) == ("psycopg2-binary", "psycopg2")
    assert distributions_for("mymod.sub", environment) == ("acme-mymod", "mymod")
    assert distributions_for("yaml", environment) == ("PyYAML", "yaml")


def test_dotted_keys_narrow_namespace_packages():
    environment = {
        "google": ["protobuf", "google-cloud-storage", "google-auth"],
        "google.cloud": ["google-cloud-storage"],
        "google.protobuf": ["protobuf"],
    }
    assert distributions_for("google.protobuf", environment) == ("protobuf",)
    assert distributions_for("google.cloud.storage", environment) == ("google-cloud-storage",)
    # Not installed: the table's pattern is more specific than the environment's `google.cloud`.
    assert distributions_for("google.cloud.bigquery", environment) == ("google-cloud-bigquery",)
    # A plain packages_distributions() without dotted keys: the table still wins on depth.
    assert distributions_for("google.cloud.bigquery", {"google": ["protobuf"]}) == ("google-cloud-bigquery",)


def test_names_compare_after_normalisation():
    assert canonical("PyYAML") == canonical("pyyaml") == "pyyaml"
    assert canonical("ruamel.yaml") == canonical("ruamel_yaml") == "ruamel-yaml"
    assert distributions_for("jinja2", {"jinja2": ["Jinja2"]}) == ("Jinja2",)
