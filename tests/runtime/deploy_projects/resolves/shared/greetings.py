def greeting() -> str:
    return "  Hello  "
