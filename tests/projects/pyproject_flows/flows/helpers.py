"""No flow here: its imports are not PP306's business."""

import pandas as pd


def summarise(frame: pd.DataFrame) -> dict:
    return frame.describe().to_dict()
