"""The train/test split shared by the trained experiments (each generates its own data set)."""

import pandas as pd


def split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's shuffled split, 2+ rows a side (schema.split_relations sees to it)."""
    from sklearn.model_selection import train_test_split  # here: seconds to import, for one step

    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)
