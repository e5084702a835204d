import httpx
import orders
from orders.jobs import sync as myself
from prefect import flow
from shared_ns import clients
import stripe  # expect: PP306`stripe`


@flow
def sync_customers():
    return httpx.get("https://example.com"), orders, myself, clients, stripe
