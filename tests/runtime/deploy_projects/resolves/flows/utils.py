def clean(text: str) -> str:
    return text.strip().lower()
