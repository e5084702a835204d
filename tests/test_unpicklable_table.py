"""Every entry of the unpicklable-type table really fails a cloudpickle round trip here;
the look-alikes that do survive are asserted to survive and are absent from the table."""

from __future__ import annotations

import importlib
import warnings

import cloudpickle
import pytest

from prefect_pitfalls.serialization.table import ALIASES, BY_TYPE, FACTORIES, METHODS, TABLE, lookup


def qualnames(obj: object) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(obj).__mro__}


def close(obj: object) -> None:
    for name in ("close", "shutdown", "terminate", "kill"):
        method = getattr(obj, name, None)
        if callable(method):
            try:
                method()
            except Exception:
                pass
            return


@pytest.mark.parametrize("entry", TABLE, ids=lambda e: e.type)
def test_entry_fails_a_round_trip(entry, tmp_path) -> None:
    if entry.needs:
        pytest.skip(f"building {entry.type} needs {entry.needs}")
    (tmp_path / "file").write_text("data")
    namespace = {"PATH": str(tmp_path / "file")}
    for module in entry.imports:
        try:
            namespace[module.split(".")[0]] = importlib.import_module(module.split(".")[0])
            importlib.import_module(module)
        except ImportError as error:
            pytest.skip(f"{module} is not installed here: {error}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = eval(entry.example, namespace)
    try:
        assert entry.type in qualnames(obj), f"{entry.example} built {sorted(qualnames(obj))}"
        with pytest.raises(Exception):
            cloudpickle.loads(cloudpickle.dumps(obj))
    finally:
        close(obj)


SURVIVORS = {
    "a text file opened for reading": "open(PATH)",
    "a logger": 'logging.getLogger("etl")',
    "a lambda": "lambda row: row",
    "a compiled pattern": 're.compile("[a-z]+")',
    "an asyncio lock": "asyncio.Lock()",
    "an in-memory buffer": 'io.BytesIO(b"data")',
    "a map object": "map(str, [1, 2])",
    "a temporary directory": "tempfile.TemporaryDirectory()",
    "a requests session": "requests.Session()",
    "a boto3 session": 'boto3.Session(region_name="us-east-1")',
    "SQLAlchemy metadata": "sqlalchemy.MetaData()",
}


@pytest.mark.parametrize("label", sorted(SURVIVORS))
def test_look_alikes_survive_and_are_not_in_the_table(label, tmp_path) -> None:
    path = tmp_path / "file"
    path.write_text("data")
    namespace = {"PATH": str(path)}
    for module in ("asyncio", "io", "logging", "re", "tempfile", "requests", "boto3", "sqlalchemy"):
        try:
            namespace[module] = importlib.import_module(module)
        except ImportError:
            if module in SURVIVORS[label]:
                pytest.skip(f"{module} is not installed here")
    obj = eval(SURVIVORS[label], namespace)
    cloudpickle.loads(cloudpickle.dumps(obj))
    entries = [lookup(name) for name in qualnames(obj)]
    assert all(entry is None or entry.only_when for entry in entries), label
    close(obj)


def test_factories_methods_and_aliases_point_into_the_table() -> None:
    for target in [*FACTORIES.values(), *METHODS.values(), *ALIASES.values()]:
        assert target in BY_TYPE or target == "psycopg.Cursor", target
