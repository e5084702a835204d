import boto3
import psycopg
import snowflake.connector  # expect: PP306`snowflake.connector`
from prefect import flow


@flow(log_prints=True)
def load_reports(bucket: str = "reports"):
    import importlib

    s3 = boto3.client("s3")
    parser = importlib.import_module("lxml.etree")  # expect: PP306`"lxml.etree"`
    print(s3, parser, psycopg, snowflake.connector)
