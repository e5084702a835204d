import os
import sys

from prefect import flow

# Where the working directory is depends on who runs the flow: not computed.
sys.path.insert(0, os.path.join(os.getcwd(), "shared"))

import utils_x  # expect: PP306`utils_x`


@flow
def from_cwd() -> int:
    return len(utils_x.chunks([1, 2, 3], 2))
