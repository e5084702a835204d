"""A Prefect 2/3 ETL flow with the state mistakes that only show on a worker."""
from prefect import flow, task

PROCESSED_IDS = set()
run_count = 0


@task(retries=2)
def extract(source: str) -> list[dict]:
    return [{"id": i, "source": source} for i in range(3)]


@task
def deduplicate(rows: list[dict], seen_ids=[]) -> list[dict]:
    fresh = [row for row in rows if row["id"] not in seen_ids]
    seen_ids.extend(row["id"] for row in fresh)
    PROCESSED_IDS.update(row["id"] for row in fresh)
    return fresh


@flow(name="nightly-etl", log_prints=True)
def nightly_etl(sources: list[str] = ["crm", "billing"]) -> int:
    global run_count
    run_count += 1
    rows = [row for source in sources for row in extract(source)]
    fresh = deduplicate(rows)
    print(f"run {run_count}: {len(fresh)} fresh rows")
    return len(fresh)


nightly_etl()
