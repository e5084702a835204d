import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))

import boto3  # expect: PP306`boto3`
import utils_x
from prefect import flow


@flow
def etl(keys: list[str]) -> int:
    s3 = boto3.client("s3")
    return sum(len(s3.list_objects_v2(Bucket="raw", Prefix=batch[0])) for batch in utils_x.chunks(keys, 10))
