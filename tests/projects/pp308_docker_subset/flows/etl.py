import boto3
import pandas as pd
import paramiko  # expect: PP306
from prefect import flow, task

from common.storage import bucket_name  # expect: PP308
from transforms import normalise


@task
def extract(key: str) -> pd.DataFrame:
    body = boto3.client("s3").get_object(Bucket=bucket_name(), Key=key)["Body"]
    return pd.read_csv(body)


@task
def publish(frame: pd.DataFrame, host: str) -> int:
    client = paramiko.SSHClient()
    client.connect(host)
    client.close()
    return len(frame)


@flow(log_prints=True)
def nightly_etl(key: str = "exports/latest.csv", host: str = "sftp.example.com") -> int:
    return publish(normalise(extract(key)), host)
