"""Runs the prefect-pitfalls language server that ships inside the extension.

The extension installs the server and its pure-Python dependencies into `../libs`; they go
first on the path so that whatever the interpreter's environment holds cannot shadow them.
"""

import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
sys.path.insert(0, LIBS)

from prefect_pitfalls.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
