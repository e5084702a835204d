import pandas as pd
import polars as pl  # expect: PP306`polars`
from prefect import flow


def clean_rows(rows):
    return [r for r in rows if r]


@flow
def etl(rows: list[dict] | None = None):
    return pd.DataFrame(clean_rows(rows or [])), pl.DataFrame()
