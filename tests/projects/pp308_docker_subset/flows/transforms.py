import pandas as pd


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=str.lower).dropna()
