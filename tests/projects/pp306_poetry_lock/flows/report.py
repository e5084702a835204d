import dateutil
import numpy as np
import six
import tables  # expect: PP306`tables`
from prefect import flow


@flow
def report():
    return dateutil, np.zeros(1), six, tables
