import aiobotocore.session
import boto3  # expect: PP306`boto3`
import httpx
import numpy as np
import pandas as pd
from dateutil import parser
from prefect import flow


@flow
def etl(url: str) -> int:
    session = aiobotocore.session.get_session()
    frame = pd.DataFrame(httpx.get(url).json())
    frame["at"] = [parser.isoparse(value) for value in frame["at"]]
    boto3.client("s3").put_object(Bucket="exports", Key="etl.csv", Body=frame.to_csv())
    return int(np.sum(frame["count"])) + (session is not None)
