"""## What it does
Reports flows that fail a real cloudpickle round trip, found by the on-save probe. The
probe imports the module in the project's interpreter (never running it), serializes
each flow and loads it back (checking the by-value form in a fresh process that cannot
see your code); the message names the path to the part that fails, such as
`etl -> global 'conn' -> sqlite3.Connection`.

## Why is this bad?
Prefect serializes flows to run them elsewhere: Prefect 1 stores them with pickle-based
storage (Docker, S3, Local), and flows are shipped to task runners and workers. A flow
that captures a connection, a lock or a client fails there with an error that names
neither the variable nor the line.

For Prefect 2/3 flows the probe serializes as a worker that has your code installed
would receive it; with `probe.by-value` (on by default for Prefect 1 flows) it also
checks the flow shipped without your code, which catches helpers that touch
module-level resources.

## Example
```python
import sqlite3

from prefect import flow

conn = sqlite3.connect("warehouse.db")


@flow
def etl():
    return conn.execute("select 1").fetchone()
```

## Use instead
```python
import sqlite3

from prefect import flow


@flow
def etl(path="warehouse.db"):
    with sqlite3.connect(path) as conn:
        return conn.execute("select 1").fetchone()
```

## Fix safety
There is no automatic fix.
"""

from __future__ import annotations

from ..findings import Severity
from .base import probe_only

CODE = "PP301"
NAME = "flow-not-serializable"
SEVERITY = Severity.ERROR
VERSIONS = ("1", "2/3")
check = probe_only
