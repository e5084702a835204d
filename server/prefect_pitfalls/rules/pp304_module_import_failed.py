"""## What it does
Reports modules that fail to import in the project's interpreter, found by the probe.
The cause is a missing package (`ModuleNotFoundError: No module named 'x'`), or an exception
raised while the module runs its top-level code.

## Why is this bad?
Wherever a flow runs, Prefect first imports its module. If that fails in the project's
own environment, it fails on the worker too; the probe tells you on save instead of in
a crashed flow run.

## Example
```python
import pandas as pd  # not installed in the project's environment

from prefect import flow
```

## Use instead
Install the missing distribution in the project's environment (and declare it where the
flow runs), or fix the exception raised at import time.

## Fix safety
There is no automatic fix.
"""

from __future__ import annotations

from ..findings import Severity
from .base import probe_only

CODE = "PP304"
NAME = "module-import-failed"
SEVERITY = Severity.ERROR
VERSIONS = ("1", "2/3")
check = probe_only
