"""Cross-field checks shared by the model configs' `validate_architecture` (each error names the values)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CRSConfigMixin", "check_id_range", "check_item_ids", "check_probabilities"]


def check_id_range(config, names: Sequence[str], size_name: str) -> None:
    """Each of `names` (an id, or None) must lie in `[0, config.<size_name>)`."""
    size = getattr(config, size_name)
    for name in names:
        value = getattr(config, name)
        if value is not None and not 0 <= value < size:
            raise ValueError(f"{name} ({value}) must be in [0, {size_name}={size})")


def check_probabilities(config, names: Sequence[str]) -> None:
    """Each of `names` (a dropout rate) must lie in [0, 1)."""
    for name in names:
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"{name} must be in [0, 1), but got {getattr(config, name)}")


def check_item_ids(config) -> None:
    """`config.item_ids`, if given, must be distinct entity ids other than the padding entity."""
    if config.item_ids is None:
        return
    if not config.item_ids:
        raise ValueError("item_ids is empty; give the entity ids of the items, or None to rank every entity")
    bad = [i for i in config.item_ids if not 0 <= i < config.n_entity or i == config.pad_entity_id]
    if bad:
        raise ValueError(f"item_ids must be entity ids in [0, n_entity={config.n_entity}) other than "
                         f"pad_entity_id={config.pad_entity_id}, but got {bad[:5]}")
    repeated = len(config.item_ids) - len(set(config.item_ids))
    if repeated:
        raise ValueError(f"item_ids must be distinct, but {repeated} of the {len(config.item_ids)} ids repeat")


class CRSConfigMixin:
    """What every crs_hf config adds to `PreTrainedConfig`: `n_items`, and validation that raises a plain
    `ValueError` at construction (`@strict` runs `validate_architecture` too, but wraps its error in a
    `StrictDataclassClassValidationError`, which is not a `ValueError`)."""

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.validate_architecture()

    @property
    def n_items(self) -> int:
        """Size of the item catalogue (`config.item_ids`, or every entity when None): the columns of `rec_logits`."""
        return self.n_entity if self.item_ids is None else len(self.item_ids)
