"""Deterministic dialog-level splits, for releases that ship fewer splits than an experiment needs."""

from __future__ import annotations

import hashlib

import datasets

__all__ = ["split_by_dialog"]


def split_by_dialog(dataset: datasets.Dataset, column: str = "dialog_id") -> datasets.DatasetDict:
    """Splits the records 80/10/10 into train/validation/test by a hash of their dialog id: every turn of a dialog
    lands in the same split, and the split does not depend on record order or on the machine."""

    def bucket(dialog_id: str) -> int:
        return int(hashlib.sha256(str(dialog_id).encode()).hexdigest(), 16) % 10

    buckets = [bucket(d) for d in dataset[column]]
    pick = lambda keep: [i for i, b in enumerate(buckets) if keep(b)]  # noqa: E731
    return datasets.DatasetDict(
        train=dataset.select(pick(lambda b: b < 8)),
        validation=dataset.select(pick(lambda b: b == 8)),
        test=dataset.select(pick(lambda b: b == 9)),
    )
