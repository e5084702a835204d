import polars  # expect: PP306`polars`
import requests
from prefect import flow
from prefect_aws import S3Bucket
from prefect_gcp import GcsBucket  # expect: PP306`prefect_gcp`
from prefect_ray import RayTaskRunner


@flow(task_runner=RayTaskRunner())
def sync():
    return S3Bucket, GcsBucket, polars, requests
