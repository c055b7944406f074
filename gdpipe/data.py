"""The train/test split shared by the trained experiments (each generates its own data set)."""

from __future__ import annotations

import pandas as pd


def split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's shuffled train/test split; rows keep their values, order is the shuffle.
    Each side keeps at least 2 rows: params validation (schema.split_relations) sees to it."""
    # Imported here: scikit-learn takes seconds to import and only this step needs it.
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)
