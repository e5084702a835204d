"""Which distribution provides an import name.

The project's environment knows best (`importlib.metadata.packages_distributions()`,
read in its interpreter by `environment.py`); for distributions that are not
installed there, a table of the well-known names that differ from their
distribution (`yaml` → PyYAML) fills in, and otherwise the import name itself.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from packaging.utils import canonicalize_name

# Import name (a top-level module, or a dotted prefix for namespace packages; the
# longest prefix wins) → the distributions that provide it, the usual one first.
# Only names that differ from their distribution after normalisation belong here.
KNOWN_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "apiclient": ("google-api-python-client",),
    "argon2": ("argon2-cffi",),
    "atlassian": ("atlassian-python-api",),
    "attr": ("attrs",),
    "avro": ("avro", "avro-python3"),
    "Bio": ("biopython",),
    "bs4": ("beautifulsoup4",),
    "bson": ("pymongo",),
    "cassandra": ("cassandra-driver",),
    "cattr": ("cattrs",),
    "corsheaders": ("django-cors-headers",),
    "crispy_forms": ("django-crispy-forms",),
    "Crypto": ("pycryptodome", "pycrypto"),
    "Cryptodome": ("pycryptodomex",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "databricks.sdk": ("databricks-sdk",),
    "databricks.sql": ("databricks-sql-connector",),
    "dateutil": ("python-dateutil",),
    "dbt": ("dbt-core",),
    "debug_toolbar": ("django-debug-toolbar",),
    "decouple": ("python-decouple",),
    "django_filters": ("django-filter",),
    "dns": ("dnspython",),
    "docket": ("pydocket",),
    "docx": ("python-docx",),
    "dotenv": ("python-dotenv",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "ffmpeg": ("ffmpeg-python",),
    "fitz": ("PyMuPDF",),
    "git": ("GitPython",),
    "github": ("PyGithub",),
    "gitlab": ("python-gitlab",),
    "google.api_core": ("google-api-core",),
    "google.auth": ("google-auth",),
    "google.cloud.secretmanager": ("google-cloud-secret-manager",),
    "google.cloud.sql.connector": ("cloud-sql-python-connector",),
    "google.cloud.storage": ("google-cloud-storage",),
    "google.genai": ("google-genai",),
    "google.generativeai": ("google-generativeai",),
    "google.oauth2": ("google-auth",),
    "google.protobuf": ("protobuf",),
    "googleapiclient": ("google-api-python-client",),
    "gridfs": ("pymongo",),
    "grpc": ("grpcio",),
    "grpc_status": ("grpcio-status",),
    "grpc_tools": ("grpcio-tools",),
    "imblearn": ("imbalanced-learn",),
    "jose": ("python-jose",),
    "jwt": ("PyJWT",),
    "kafka": ("kafka-python",),
    "ldap": ("python-ldap",),
    "Levenshtein": ("Levenshtein", "python-Levenshtein"),
    "magic": ("python-magic",),
    "markdown_it": ("markdown-it-py",),
    "memcache": ("python-memcached",),
    "mpl_toolkits": ("matplotlib",),
    "multipart": ("python-multipart",),
    "MySQLdb": ("mysqlclient",),
    "mysql.connector": ("mysql-connector-python",),
    "nacl": ("PyNaCl",),
    "nats": ("nats-py",),
    "OpenSSL": ("pyOpenSSL",),
    "opensearchpy": ("opensearch-py",),
    "osgeo": ("GDAL",),
    "paho": ("paho-mqtt",),
    "pdfminer": ("pdfminer.six",),
    "PIL": ("Pillow", "pillow-simd"),
    "pkg_resources": ("setuptools",),
    "pptx": ("python-pptx",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "pylab": ("matplotlib",),
    "pythoncom": ("pywin32",),
    "pythonjsonlogger": ("python-json-logger",),
    "pywintypes": ("pywin32",),
    "pywt": ("PyWavelets",),
    "rest_framework": ("djangorestframework",),
    "rpds": ("rpds-py",),
    "RPi": ("RPi.GPIO",),
    "ruamel.yaml": ("ruamel.yaml",),
    "serial": ("pyserial",),
    "skimage": ("scikit-image",),
    "sklearn": ("scikit-learn",),
    "slack": ("slackclient",),
    "slugify": ("python-slugify",),
    "snowflake.connector": ("snowflake-connector-python",),
    "snowflake.snowpark": ("snowflake-snowpark-python",),
    "socketio": ("python-socketio",),
    "socks": ("PySocks",),
    "speech_recognition": ("SpeechRecognition",),
    "storages": ("django-storages",),
    "telegram": ("python-telegram-bot",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tensorflow-intel"),
    "usb": ("pyusb",),
    "vertexai": ("google-cloud-aiplatform",),
    "weaviate": ("weaviate-client",),
    "websocket": ("websocket-client",),
    "win32api": ("pywin32",),
    "win32com": ("pywin32",),
    "win32con": ("pywin32",),
    "xdist": ("pytest-xdist",),
    "yaml": ("PyYAML",),
    "zmq": ("pyzmq",),
}

# Namespace packages whose distributions follow the import path: google.cloud.bigquery → google-cloud-bigquery.
# Each entry: the namespace prefix, and how many components after it name the distribution.
NAMESPACE_PATTERNS: dict[str, int] = {"google.cloud": 1, "azure": 1}
# Azure's second-level namespaces: azure.storage.blob → azure-storage-blob.
_AZURE_TWO_LEVEL = {"ai", "communication", "data", "keyvault", "kusto", "mgmt", "monitor", "search", "storage"}
# API versions in module names: google.cloud.pubsub_v1, google.cloud.dataproc_v1beta2.
_API_VERSION = re.compile(r"_v\d+(?:p\d+)?(?:alpha\d*|beta\d*)?$")


def canonical(name: str) -> str:
    """The normalised form distribution names are compared in (PEP 503)."""
    return canonicalize_name(name)


def distributions_for(
    import_name: str, environment: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...]:
    """The distributions that may provide ``import_name``, the most likely first.

    Declaring any of them counts. ``environment`` is `packages_distributions()` of the
    project's interpreter (its keys may be dotted for namespace packages). The most
    specific source wins: a dotted match beats a shorter one, the environment beats
    the table on equal terms, and the import's top-level name itself comes last unless
    a namespace package matched.
    """
    environment_key, from_environment = _longest_prefix(import_name, environment or {})
    table_key, from_table = _table_match(import_name)
    depth = max(_depth(environment_key), _depth(table_key))
    found: list[str] = []
    if environment_key and _depth(environment_key) == depth:
        found += from_environment
    if table_key and _depth(table_key) == depth:
        found += from_table
    if depth <= 1:
        found.append(import_name.partition(".")[0])
    return _unique(found)


def _table_match(import_name: str) -> tuple[str | None, tuple[str, ...]]:
    key, found = _longest_prefix(import_name, KNOWN_DISTRIBUTIONS)
    pattern_key, pattern = _namespace_pattern(import_name)
    if pattern_key and _depth(pattern_key) > _depth(key):
        return pattern_key, (pattern,)
    return key, tuple(found)


def _namespace_pattern(import_name: str) -> tuple[str | None, str]:
    parts = import_name.split(".")
    for prefix, components in NAMESPACE_PATTERNS.items():
        prefix_parts = prefix.split(".")
        if prefix == "azure" and len(parts) > 2 and parts[1] in _AZURE_TWO_LEVEL:
            components = 2
        if parts[: len(prefix_parts)] != prefix_parts or len(parts) < len(prefix_parts) + components:
            continue
        named = parts[: len(prefix_parts) + components]
        named[-1] = _API_VERSION.sub("", named[-1])
        return ".".join(parts[: len(named)]), "-".join(named)
    return None, ""


def _longest_prefix(import_name: str, table: Mapping[str, Sequence[str]]) -> tuple[str | None, Sequence[str]]:
    parts = import_name.split(".")
    for length in range(len(parts), 0, -1):
        key = ".".join(parts[:length])
        found = table.get(key)
        if found:
            return key, found
    return None, ()


def _depth(key: str | None) -> int:
    return key.count(".") + 1 if key else 0


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    unique = []
    for name in names:
        if canonical(name) not in seen:
            seen.add(canonical(name))
            unique.append(name)
    return tuple(unique)
