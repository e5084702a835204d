def normalise(record: dict) -> dict:
    return {key.lower(): value for key, value in record.items()}
