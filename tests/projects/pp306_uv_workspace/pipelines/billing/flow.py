import pandas as pd  # expect: PP306`pandas`
import requests
from prefect import flow


@flow
def billing():
    return pd.DataFrame(), requests
