"""The one table of types that do not survive a cloudpickle round trip, and what builds them.

Every entry carries an ``example`` expression that builds an instance; the test suite
evaluates it and asserts that `cloudpickle.dumps` (or `loads`) really raises. Things
that come back changed but do not raise (a text file opened for reading, loggers,
`requests.Session`, compiled patterns, lambdas) are deliberately absent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unpicklable:
    type: str
    """Fully qualified name of the type (or of a base class all such objects share)."""
    reason: str
    example: str
    """An expression building an instance; may use ``PATH``, a writable temporary file."""
    imports: tuple[str, ...] = ()
    needs: str | None = None
    """Why the example cannot be built in a plain test environment (a server, credentials)."""
    only_when: str | None = None
    """When only some instances fail; the type alone then does not decide (see inference)."""

_LOCK = "holds an OS-level lock"
_CONNECTION = "holds a live connection to a server"
TABLE: tuple[Unpicklable, ...] = (
    # files
    Unpicklable(
        "_io.TextIOWrapper", "is a file opened only for writing or appending", 'open(PATH, "a")',
        only_when="not readable: `w`, `a`, `x` (readable ones, `r`, `r+`, `w+`, come back as a StringIO)",
    ),
    Unpicklable("_io.BufferedReader", "is an open binary file", 'open(PATH, "rb")'),
    Unpicklable("_io.BufferedWriter", "is an open binary file", 'open(PATH, "ab")'),
    Unpicklable("_io.BufferedRandom", "is an open binary file", "tempfile.TemporaryFile()", ("tempfile",)),
    Unpicklable("_io.FileIO", "is an open file descriptor", 'open(PATH, "rb", buffering=0)'),
    Unpicklable("tempfile._TemporaryFileWrapper", "is an open temporary file", "tempfile.NamedTemporaryFile()", ("tempfile",)),
    Unpicklable("gzip.GzipFile", "is an open compressed file", 'gzip.open(PATH + ".gz", "wb")', ("gzip",)),
    Unpicklable("zipfile.ZipFile", "is an open archive", 'zipfile.ZipFile(PATH + ".zip", "w")', ("zipfile",)),
    Unpicklable("_csv.writer", "writes to an open file", 'csv.writer(open(PATH, "a"))', ("csv",)),
    Unpicklable("mmap.mmap", "is a memory map of a file descriptor", "mmap.mmap(-1, 16)", ("mmap",)),
    Unpicklable("posix.ScandirIterator", "iterates an open directory", 'os.scandir(".")', ("os",)),
    # threads and locks
    Unpicklable("_thread.lock", _LOCK, "threading.Lock()", ("threading",)),
    Unpicklable("_thread.RLock", _LOCK, "threading.RLock()", ("threading",)),
    Unpicklable("threading.Condition", _LOCK, "threading.Condition()", ("threading",)),
    Unpicklable("threading.Semaphore", _LOCK, "threading.Semaphore()", ("threading",)),
    Unpicklable("threading.Event", _LOCK, "threading.Event()", ("threading",)),
    Unpicklable("threading.Barrier", _LOCK, "threading.Barrier(2)", ("threading",)),
    Unpicklable("threading.Thread", "is a thread of this process", "threading.Thread(target=print)", ("threading",)),
    Unpicklable("_thread._local", "is thread-local storage", "threading.local()", ("threading",)),
    Unpicklable("queue.Queue", _LOCK, "queue.Queue()", ("queue",)),
    Unpicklable("_queue.SimpleQueue", _LOCK, "queue.SimpleQueue()", ("queue",)),
    Unpicklable("concurrent.futures._base.Executor", "owns worker threads or processes", "concurrent.futures.ThreadPoolExecutor()", ("concurrent.futures",)),
    Unpicklable("concurrent.futures._base.Future", "is the result slot of a running call", "concurrent.futures.Future()", ("concurrent.futures",)),
    # processes
    Unpicklable("subprocess.Popen", "is a running child process", 'subprocess.Popen(["true"])', ("subprocess",)),
    Unpicklable("multiprocessing.queues.Queue", "can only be shared through inheritance", "multiprocessing.Queue()", ("multiprocessing",)),
    Unpicklable("multiprocessing.synchronize.Lock", "can only be shared through inheritance", "multiprocessing.Lock()", ("multiprocessing",)),
    Unpicklable("multiprocessing.synchronize.Event", "can only be shared through inheritance", "multiprocessing.Event()", ("multiprocessing",)),
    Unpicklable("multiprocessing.pool.Pool", "owns worker processes", "multiprocessing.Pool(1)", ("multiprocessing",)),
    Unpicklable("multiprocessing.managers.SyncManager", "owns a server process", "multiprocessing.Manager()", ("multiprocessing",)),
    # network
    Unpicklable("socket.socket", "is an open socket", "socket.socket()", ("socket",)),
    Unpicklable("ssl.SSLContext", "wraps OpenSSL state", "ssl.create_default_context()", ("ssl",)),
    Unpicklable("selectors.BaseSelector", "watches open file descriptors", "selectors.DefaultSelector()", ("selectors",)),
    # asyncio, generators, frames
    Unpicklable("asyncio.events.AbstractEventLoop", "is an event loop", "asyncio.new_event_loop()", ("asyncio",)),
    Unpicklable("builtins.generator", "is a suspended generator", "(n for n in range(3))"),
    Unpicklable("builtins.coroutine", "is a suspended coroutine", "asyncio.sleep(0)", ("asyncio",)),
    Unpicklable("builtins.frame", "is an interpreter frame", "sys._getframe()", ("sys",)),
    # logging
    Unpicklable("logging.Handler", "holds a lock and usually an open stream", "logging.StreamHandler()", ("logging",)),
    # databases
    Unpicklable("sqlite3.Connection", "is an open database connection", 'sqlite3.connect(":memory:")', ("sqlite3",)),
    Unpicklable("sqlite3.Cursor", "belongs to an open database connection", 'sqlite3.connect(":memory:").cursor()', ("sqlite3",)),
    Unpicklable("sqlalchemy.engine.base.Engine", "owns a connection pool", 'sqlalchemy.create_engine("sqlite://")', ("sqlalchemy",)),
    Unpicklable("sqlalchemy.engine.base.Connection", _CONNECTION, 'sqlalchemy.create_engine("sqlite://").connect()', ("sqlalchemy",)),
    Unpicklable("sqlalchemy.orm.session.Session", "is bound to database connections", 'sqlalchemy.orm.Session(sqlalchemy.create_engine("sqlite://"))', ("sqlalchemy", "sqlalchemy.orm")),
    Unpicklable("sqlalchemy.orm.session.sessionmaker", "is bound to an engine's pool", 'sqlalchemy.orm.sessionmaker(sqlalchemy.create_engine("sqlite://"))', ("sqlalchemy", "sqlalchemy.orm")),
    Unpicklable("psycopg.Connection", _CONNECTION, 'psycopg.connect("")', ("psycopg",), needs="a running PostgreSQL server"),
    Unpicklable("psycopg2.extensions.connection", _CONNECTION, 'psycopg2.connect("")', ("psycopg2",), needs="a running PostgreSQL server"),
    Unpicklable("pymysql.connections.Connection", _CONNECTION, "pymysql.connect()", ("pymysql",), needs="a running MySQL server"),
    Unpicklable("redis.client.Redis", "owns a connection pool", "redis.Redis()", ("redis",)),
    Unpicklable("redis.connection.ConnectionPool", "owns a connection pool", "redis.ConnectionPool()", ("redis",)),
    # HTTP and cloud clients
    Unpicklable("httpx.Client", "owns a connection pool", "httpx.Client()", ("httpx",)),
    Unpicklable("httpx.AsyncClient", "owns a connection pool", "httpx.AsyncClient()", ("httpx",)),
    Unpicklable("botocore.client.BaseClient", "holds an SSL context and a connection pool", 'boto3.client("s3", region_name="us-east-1")', ("boto3",)),
    Unpicklable("boto3.resources.base.ServiceResource", "holds a client with live connections", 'boto3.resource("s3", region_name="us-east-1")', ("boto3",)),
)
BY_TYPE: dict[str, Unpicklable] = {entry.type: entry for entry in TABLE}

# Calls whose result is one of the types above. `open()` is decided by its mode (see inference).
FACTORIES: dict[str, str] = {
    "builtins.open": "_io.TextIOWrapper",
    "io.open": "_io.TextIOWrapper",
    "tempfile.TemporaryFile": "_io.BufferedRandom",
    "tempfile.NamedTemporaryFile": "tempfile._TemporaryFileWrapper",
    "gzip.open": "gzip.GzipFile",
    "gzip.GzipFile": "gzip.GzipFile",
    "zipfile.ZipFile": "zipfile.ZipFile",
    "csv.writer": "_csv.writer",
    "csv.DictWriter": "_csv.writer",
    "mmap.mmap": "mmap.mmap",
    "os.scandir": "posix.ScandirIterator",
    "threading.Lock": "_thread.lock",
    "threading.RLock": "_thread.RLock",
    "threading.Condition": "threading.Condition",
    "threading.Semaphore": "threading.Semaphore",
    "threading.BoundedSemaphore": "threading.Semaphore",
    "threading.Event": "threading.Event",
    "threading.Barrier": "threading.Barrier",
    "threading.Thread": "threading.Thread",
    "threading.Timer": "threading.Thread",
    "threading.local": "_thread._local",
    "queue.Queue": "queue.Queue",
    "queue.LifoQueue": "queue.Queue",
    "queue.PriorityQueue": "queue.Queue",
    "queue.SimpleQueue": "_queue.SimpleQueue",
    "concurrent.futures.ThreadPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.ProcessPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.Future": "concurrent.futures._base.Future",
    "subprocess.Popen": "subprocess.Popen",
    "multiprocessing.Queue": "multiprocessing.queues.Queue",
    "multiprocessing.JoinableQueue": "multiprocessing.queues.Queue",
    "multiprocessing.Lock": "multiprocessing.synchronize.Lock",
    "multiprocessing.RLock": "multiprocessing.synchronize.Lock",
    "multiprocessing.Event": "multiprocessing.synchronize.Event",
    "multiprocessing.Pool": "multiprocessing.pool.Pool",
    "multiprocessing.pool.Pool": "multiprocessing.pool.Pool",
    "multiprocessing.pool.ThreadPool": "multiprocessing.pool.Pool",
    "multiprocessing.Manager": "multiprocessing.managers.SyncManager",
    "socket.socket": "socket.socket",
    "socket.create_connection": "socket.socket",
    "socket.create_server": "socket.socket",
    "ssl.create_default_context": "ssl.SSLContext",
    "ssl.SSLContext": "ssl.SSLContext",
    "selectors.DefaultSelector": "selectors.BaseSelector",
    "asyncio.new_event_loop": "asyncio.events.AbstractEventLoop",
    "asyncio.get_event_loop": "asyncio.events.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.events.AbstractEventLoop",
    "sys._getframe": "builtins.frame",
    "inspect.currentframe": "builtins.frame",
    "logging.StreamHandler": "logging.Handler",
    "logging.FileHandler": "logging.Handler",
    "logging.handlers.RotatingFileHandler": "logging.Handler",
    "logging.handlers.TimedRotatingFileHandler": "logging.Handler",
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection": "sqlite3.Connection",
    "sqlalchemy.create_engine": "sqlalchemy.engine.base.Engine",
    "sqlalchemy.engine.create_engine": "sqlalchemy.engine.base.Engine",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.session.Session",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.session.Session",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.session.sessionmaker",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg2.connect": "psycopg2.extensions.connection",
    "pymysql.connect": "pymysql.connections.Connection",
    "redis.Redis": "redis.client.Redis",
    "redis.StrictRedis": "redis.client.Redis",
    "redis.from_url": "redis.client.Redis",
    "redis.Redis.from_url": "redis.client.Redis",
    "redis.ConnectionPool": "redis.connection.ConnectionPool",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "boto3.client": "botocore.client.BaseClient",
    "boto3.resource": "boto3.resources.base.ServiceResource",
}

# Methods of the types above whose results are themselves in the table.
METHODS: dict[tuple[str, str], str] = {
    ("sqlite3.Connection", "cursor"): "sqlite3.Cursor",
    ("sqlite3.Connection", "execute"): "sqlite3.Cursor",
    ("sqlite3.Connection", "executemany"): "sqlite3.Cursor",
    ("sqlite3.Cursor", "execute"): "sqlite3.Cursor",
    ("sqlalchemy.engine.base.Engine", "connect"): "sqlalchemy.engine.base.Connection",
    ("sqlalchemy.engine.base.Engine", "begin"): "sqlalchemy.engine.base.Connection",
    ("sqlalchemy.orm.session.sessionmaker", "__call__"): "sqlalchemy.orm.session.Session",
    ("sqlalchemy.orm.session.sessionmaker", "begin"): "sqlalchemy.orm.session.Session",
    ("concurrent.futures._base.Executor", "submit"): "concurrent.futures._base.Future",
    ("socket.socket", "makefile"): "_io.BufferedReader",
    ("psycopg.Connection", "cursor"): "psycopg.Cursor",
}

# Names other tools (typeshed, through jedi) give the same types.
ALIASES: dict[str, str] = {
    "_thread.LockType": "_thread.lock",
    "threading.Lock": "_thread.lock",
    "threading._RLock": "_thread.RLock",
    "threading.RLock": "_thread.RLock",
    "threading.BoundedSemaphore": "threading.Semaphore",
    "threading.Timer": "threading.Thread",
    "threading.local": "_thread._local",
    "queue.LifoQueue": "queue.Queue",
    "queue.PriorityQueue": "queue.Queue",
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.ThreadPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.ProcessPoolExecutor": "concurrent.futures._base.Executor",
    "concurrent.futures.Future": "concurrent.futures._base.Future",
    "multiprocessing.pool.ThreadPool": "multiprocessing.pool.Pool",
    "selectors.DefaultSelector": "selectors.BaseSelector",
    "selectors.EpollSelector": "selectors.BaseSelector",
    "selectors.SelectSelector": "selectors.BaseSelector",
    "asyncio.unix_events._UnixSelectorEventLoop": "asyncio.events.AbstractEventLoop",
    "asyncio.base_events.BaseEventLoop": "asyncio.events.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop": "asyncio.events.AbstractEventLoop",
    "types.GeneratorType": "builtins.generator",
    "typing.Generator": "builtins.generator",
    "collections.abc.Generator": "builtins.generator",
    "types.CoroutineType": "builtins.coroutine",
    "types.FrameType": "builtins.frame",
    "logging.StreamHandler": "logging.Handler",
    "logging.FileHandler": "logging.Handler",
    "sqlite3.dbapi2.Connection": "sqlite3.Connection",
    "sqlite3.dbapi2.Cursor": "sqlite3.Cursor",
    "sqlalchemy.engine.Engine": "sqlalchemy.engine.base.Engine",
    "sqlalchemy.Engine": "sqlalchemy.engine.base.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.engine.base.Connection",
    "sqlalchemy.Connection": "sqlalchemy.engine.base.Connection",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.session.Session",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.session.sessionmaker",
    "psycopg.connection.Connection": "psycopg.Connection",
    "redis.Redis": "redis.client.Redis",
    "redis.client.StrictRedis": "redis.client.Redis",
    "socket.SocketType": "socket.socket",
    "tempfile.TemporaryFileWrapper": "tempfile._TemporaryFileWrapper",
}


def lookup(type_name: str | None) -> Unpicklable | None:
    """The table entry for a type name (or one of its aliases)."""
    if type_name is None:
        return None
    return BY_TYPE.get(ALIASES.get(type_name, type_name))
