"""Where slow-to-build test tools (a Prefect 1 venv, code-server) are kept between runs."""

import os
from pathlib import Path

CACHE = Path(os.environ.get("PREFECT_PITFALLS_TEST_CACHE", Path.home() / ".cache" / "prefect-pitfalls-tests"))
