"""Every entry of the unpicklable-type table really fails a cloudpickle round trip here;
the look-alikes that do survive are asserted to survive and are absent from the table."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import shutil
import sqlite3
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

import cloudpickle
import pytest

from prefect_pitfalls.serialization.table import ALIASES, BY_TYPE, FACTORIES, METHODS, TABLE, lookup
from test_unpicklable_table_servers import (  # noqa: F401  (fixtures the entries name)
    ftp_server,
    postgres_server,
    smtp_server,
    ssh_server,
    webdriver_server,
)


def qualnames(obj: object) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(obj).__mro__}


def namespace_with(modules: tuple[str, ...], tmp_path) -> dict[str, Any]:
    """``PATH`` (a file holding "data") and the modules an example names; skips when one is missing."""
    path = tmp_path / "file"
    path.write_text("data")
    namespace: dict[str, Any] = {"__name__": "example", "PATH": str(path)}
    for module in modules:
        try:
            namespace[module.split(".")[0]] = importlib.import_module(module.split(".")[0])
            importlib.import_module(module)
        except ImportError as error:
            pytest.skip(f"{module} is not installed here: {error}")
    return namespace


@contextmanager
def built(example: str, namespace: dict[str, Any]) -> Iterator[object]:
    """The object an example builds, closed afterwards. An example that awaits runs in an
    event loop, which stays open until the object is closed."""
    code = compile(example, "<example>", "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    loop = asyncio.new_event_loop() if code.co_flags & inspect.CO_COROUTINE else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = loop.run_until_complete(eval(code, namespace)) if loop else eval(code, namespace)
    try:
        yield obj
    finally:
        close(obj, loop)
        if loop is not None:
            loop.close()


def close(obj: object, loop: asyncio.AbstractEventLoop | None = None) -> None:
    for name in ("close", "shutdown", "terminate", "kill", "stop"):
        method = getattr(obj, name, None)
        if callable(method):
            try:
                result = method()
                if inspect.isawaitable(result):
                    loop.run_until_complete(result) if loop else asyncio.run(result)
            except Exception:
                pass
            return


@pytest.mark.parametrize("entry", TABLE, ids=lambda e: e.type)
def test_entry_fails_a_round_trip(entry, tmp_path, request) -> None:
    if entry.needs:
        pytest.skip(f"building {entry.type} needs {entry.needs}")
    namespace = namespace_with(entry.imports, tmp_path)
    if entry.fixture:
        namespace["HOST"], namespace["PORT"] = request.getfixturevalue(entry.fixture)
    with built(entry.example, namespace) as obj:
        assert entry.type in qualnames(obj), f"{entry.example} built {sorted(qualnames(obj))}"
        with pytest.raises(Exception):
            cloudpickle.loads(cloudpickle.dumps(obj))


# Other ways to build the table's types, in the classes users hold: each fails a round trip
# and its own class name (what jedi reports) leads to an entry.
OTHER_BUILDS = {
    "a process pool executor": ("concurrent.futures.ProcessPoolExecutor(1)", ("concurrent.futures",)),
    "a thread pool": ("multiprocessing.pool.ThreadPool(1)", ("multiprocessing.pool",)),
    "a shared array": ('multiprocessing.Array("i", 3)', ("multiprocessing",)),
    "a csv dict reader": ("csv.DictReader(open(PATH))", ("csv",)),
    "a csv reader in iterator mode": ("pandas.read_csv(PATH, iterator=True)", ("pandas",)),
    "a Google Cloud Storage client": (
        'google.cloud.storage.Client(project="etl", credentials=google.auth.credentials.AnonymousCredentials())',
        ("google.cloud.storage", "google.auth.credentials"),
    ),
    "a neo4j routing driver": ('neo4j.GraphDatabase.driver("neo4j://localhost:7687")', ("neo4j",)),
    "a neo4j direct driver": ('neo4j.GraphDatabase.driver("bolt://localhost:7687")', ("neo4j",)),
    "a SQLAlchemy raw connection": ('sqlalchemy.create_engine("sqlite://").raw_connection()', ("sqlalchemy",)),
}


@pytest.mark.parametrize("label", sorted(OTHER_BUILDS))
def test_other_builds_fail_and_their_class_is_known(label, tmp_path) -> None:
    example, modules = OTHER_BUILDS[label]
    with built(example, namespace_with(modules, tmp_path)) as obj:
        concrete = f"{type(obj).__module__}.{type(obj).__qualname__}"
        assert lookup(concrete) is not None, concrete
        with pytest.raises(Exception):
            cloudpickle.loads(cloudpickle.dumps(obj))


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium")
def test_a_playwright_browser_is_covered_by_its_entry() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        try:
            assert lookup("playwright.sync_api._generated.Browser").type in qualnames(browser)
            with pytest.raises(Exception):
                cloudpickle.loads(cloudpickle.dumps(browser))
        finally:
            browser.close()


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
    "an SSH client never connected": "paramiko.SSHClient()",
    "an FTP client never connected": "ftplib.FTP()",
    "an SMTP client never connected": "smtplib.SMTP()",
    "a DataFrame read whole": "pandas.read_csv(PATH)",
    "a BigQuery table definition": 'google.cloud.bigquery.Table("etl.raw.events")',
    "a neo4j async driver before its first query": 'neo4j.AsyncGraphDatabase.driver("bolt://localhost:7687")',
    "a Playwright context manager not entered": "playwright.sync_api.sync_playwright()",
}
SURVIVOR_MODULES = (
    "asyncio", "io", "logging", "re", "tempfile", "requests", "boto3", "sqlalchemy", "paramiko", "ftplib",
    "smtplib", "pandas", "google.cloud.bigquery", "neo4j", "playwright.sync_api",
)


@pytest.mark.parametrize("label", sorted(SURVIVORS))
def test_look_alikes_survive_and_are_not_in_the_table(label, tmp_path) -> None:
    modules = tuple(m for m in SURVIVOR_MODULES if m.split(".")[0] in SURVIVORS[label])
    with built(SURVIVORS[label], namespace_with(modules, tmp_path)) as obj:
        cloudpickle.loads(cloudpickle.dumps(obj))
        entries = [lookup(name) for name in qualnames(obj)]
        assert all(entry is None or entry.only_when for entry in entries), label


class WarehouseKeepingItsPath:
    """Pickles its path only and reconnects when loaded."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.connection = sqlite3.connect(path)

    def __getstate__(self) -> dict[str, str]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.__init__(state["path"])


class GraphRebuiltFromItsAddress:
    """Pickles as the call that rebuilds it: a new driver for the same address."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        import neo4j

        self.driver = neo4j.GraphDatabase.driver(uri)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return GraphRebuiltFromItsAddress, (self.uri,)


def test_a_class_whose_pickling_hook_drops_its_client_survives(tmp_path) -> None:
    warehouse = WarehouseKeepingItsPath(str(tmp_path / "etl.db"))
    with pytest.raises(Exception):
        cloudpickle.dumps(warehouse.connection)
    restored = cloudpickle.loads(cloudpickle.dumps(warehouse))
    assert restored.connection.execute("SELECT 1").fetchone() == (1,)
    assert not any(lookup(name) for name in qualnames(warehouse))


def test_a_class_whose_reduce_rebuilds_its_client_survives() -> None:
    pytest.importorskip("neo4j")
    graph = GraphRebuiltFromItsAddress("bolt://localhost:7687")
    with pytest.raises(Exception):
        cloudpickle.dumps(graph.driver)
    restored = cloudpickle.loads(cloudpickle.dumps(graph))
    assert restored.uri == graph.uri and restored.driver is not graph.driver
    assert not any(lookup(name) for name in qualnames(graph))


def test_factories_methods_and_aliases_point_into_the_table() -> None:
    for target in [*FACTORIES.values(), *METHODS.values(), *ALIASES.values()]:
        assert target in BY_TYPE or target == "psycopg.Cursor", target


# Names typeshed gives (through jedi) that are absent, or another class, at run time; and
# classes that wrap a table type rather than derive from it.
TYPESHED_NAMES = {"tempfile.TemporaryFileWrapper", "threading._RLock"}
WRAPPERS = {"csv.DictReader", "csv.DictWriter"}


def resolve(qualname: str) -> object:
    """The object a dotted name reaches: its longest importable module, then attributes."""
    parts = qualname.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(qualname)


@pytest.mark.parametrize(
    "name, target",
    sorted({*FACTORIES.items(), *ALIASES.items()}),
    ids=lambda value: value,
)
def test_class_names_are_related_to_their_entry(name, target) -> None:
    """A class a factory or alias names is the entry's type or a subclass (a base, for the
    less precise names of typeshed); a misspelt name of an installed package fails."""
    if name in TYPESHED_NAMES:
        pytest.skip("a name typeshed gives, not this class at run time")
    try:
        importlib.import_module(name.split(".")[0])
    except ImportError:
        pytest.skip(f"{name.split('.')[0]} is not installed here")
    found = resolve(name)
    if not inspect.isclass(found) or name in WRAPPERS:
        return
    if target in {f"{cls.__module__}.{cls.__qualname__}" for cls in found.__mro__}:
        return
    assert issubclass(resolve_entry_class(target), found), f"{name} is neither {target} nor one of its bases"


def resolve_entry_class(target: str) -> type:
    """The entry's class, through its own name or (for `builtins.generator` and the like)
    any class named in the table whose qualified name it is."""
    for name in (target, *FACTORIES, *ALIASES):
        try:
            found = resolve(name)
        except (ImportError, AttributeError):
            continue
        if inspect.isclass(found) and f"{found.__module__}.{found.__qualname__}" == target:
            return found
    pytest.fail(f"no class named {target}")


PUBLIC_NAMES = (
    "paramiko.SSHClient", "paramiko.SFTPClient", "paramiko.Transport",
    "google.cloud.bigquery.Client", "google.cloud.storage.Client",
    "neo4j.Driver", "neo4j.Session", "pymongo.MongoClient", "aiohttp.ClientSession", "httpx.AsyncClient",
    "snowflake.connector.SnowflakeConnection", "oracledb.Connection", "asyncpg.Connection", "asyncpg.Pool",
    "kafka.KafkaProducer", "kafka.KafkaConsumer", "confluent_kafka.Producer", "confluent_kafka.Consumer",
    "selenium.webdriver.Chrome", "playwright.sync_api.Page", "playwright.async_api.Browser",
    "ftplib.FTP", "smtplib.SMTP", "multiprocessing.Process", "concurrent.futures.ProcessPoolExecutor",
)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_public_names_users_write_in_annotations_resolve(name) -> None:
    assert lookup(name) or lookup(FACTORIES.get(name)), name
