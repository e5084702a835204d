import os
import sys

# `python -m prefect_pitfalls` puts the working directory first on the import path, where
# the checked project's own `yaml.py` or `jedi.py` would shadow what we import later.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from .cli import main  # noqa: E402

sys.exit(main())
