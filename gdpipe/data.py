"""The train/test split shared by the trained experiments (each generates its own data set)."""

from __future__ import annotations

import math

import pandas as pd

from gdpipe.errors import DataError


def split(
    frame: pd.DataFrame, test_size: float, seed: int, source: str = "data"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's shuffled train/test split; rows keep their values, order is the shuffle.

    Each side must keep at least 2 rows (a loss over one residual says little); `source` names
    the table in the error otherwise.
    """
    n_test = math.ceil(len(frame) * test_size)  # what train_test_split takes for a fraction
    if min(n_test, len(frame) - n_test) < 2:
        raise DataError(
            f"{source}: {len(frame)} rows split by test_size {test_size} into "
            f"{len(frame) - n_test} train / {n_test} test; each side needs at least 2 rows"
        )
    # Imported here: scikit-learn takes seconds to import and only this step needs it.
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)
