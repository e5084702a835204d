"""Nightly order export."""

import datetime
import json

import pandas as pd  # expect: PP306`pandas`
import requests
import sqlalchemy
import yaml  # PyYAML: Prefect installs it
from bs4 import BeautifulSoup  # expect: PP306`bs4`
from dateutil import parser as dates  # python-dateutil: Prefect installs it
from orders_lib import __doc__ as lib_doc
from prefect import flow, task
from sklearn.linear_model import LinearRegression  # the "ml" group is installed

try:
    import orjson as fast_json
except ImportError:  # optional: the flow runs without it
    fast_json = None


@task
def fetch(url: str) -> list[dict]:
    return requests.get(url, timeout=10).json()


@task
def to_frame(rows: list[dict]):
    import pyarrow  # expect: PP306`pyarrow`
    return pd.DataFrame(rows)


@flow
def export_orders(url: str = "https://example.com/orders"):
    rows = fetch(url)
    frame = to_frame(rows)
    frame["exported"] = datetime.datetime.now()
    return json.dumps({"rows": len(frame), "first": str(dates.parse("2026-01-01")), "soup": str(BeautifulSoup)})
