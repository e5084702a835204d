import os


def bucket_name() -> str:
    return os.environ.get("ETL_BUCKET", "etl-exports")
