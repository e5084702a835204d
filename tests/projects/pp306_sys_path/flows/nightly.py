import os
import sys

from prefect import flow


@flow
def nightly() -> int:
    sys.path.append(os.path.join(os.path.dirname(__file__), "..", "common"))
    import common_y

    return common_y.RETRIES
