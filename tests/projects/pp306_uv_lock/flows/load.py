import duckdb
import pyarrow  # expect: PP306`pyarrow`
import requests
import urllib3
from prefect import flow


@flow
def load():
    return duckdb, pyarrow, requests, urllib3
