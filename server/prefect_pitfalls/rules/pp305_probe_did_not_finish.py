"""## What it does
Tells you that the serialization probe was asked for but did not finish. It timed out,
crashed (the module segfaulted, called `sys.exit()`, ran out of memory), or was skipped
because the module runs a flow when imported (PP303) or the workspace is not trusted.

## Why is this bad?
It is not: it is information, so that a missing probe result is never mistaken for a
clean one.

## Example
```python
import time

from prefect import flow

time.sleep(60)  # the probe's import times out


@flow
def etl(): ...
```

## Use instead
Keep module import fast and free of side effects; move work into functions.

## Fix safety
There is no automatic fix.
"""

from __future__ import annotations

from ..findings import Severity
from .base import probe_only

CODE = "PP305"
NAME = "probe-did-not-finish"
SEVERITY = Severity.INFORMATION
VERSIONS = ("1", "2/3")
check = probe_only
