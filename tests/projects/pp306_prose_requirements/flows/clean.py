import pandas as pd
import polars  # expect: PP306`polars`
from prefect import flow


@flow
def clean():
    return pd.DataFrame(), polars
