import httpx
import pandas as pd
import polars  # expect: PP306`polars`
from prefect import flow
from shared_utils import CITY


@flow
def sales():
    return pd.DataFrame({"city": [CITY]}), httpx, polars
