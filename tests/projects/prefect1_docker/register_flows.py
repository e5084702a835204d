"""Prefect 1: the flow ships in a Docker image built from this storage."""

import numpy as np  # expect: PP306`numpy`
import pandas as pd
from prefect import Flow, task
from prefect.storage import Docker

storage = Docker(
    registry_url="registry.example.com/flows",
    python_dependencies=[
        "pandas==2.2.2",
        "requests",
    ],
)


@task
def build_frame():
    return pd.DataFrame({"x": np.arange(3)})


with Flow("frames", storage=storage) as flow:
    build_frame()
