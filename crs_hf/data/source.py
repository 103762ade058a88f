"""Where a training run reads a dataset from: a raw release, an export folder or a Hub dataset repo.

The three give the same tables: a raw release goes through crs_hf's builder (`crs_hf.load_dataset`); an export
folder (`crs-hf data export`) or a pushed repo (`crs-hf data push`) is read by plain `datasets.load_dataset`, the
configs having the same names, columns and splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import datasets

from crs_hf.data.graph import KGGraph, kg_to_graph
from crs_hf.data.registry import get_builder_class, load_dataset, sample_data_dir
from crs_hf.errors import CRSHFError

__all__ = ["CRSDataSource"]


@dataclass(frozen=True)
class CRSDataSource:
    """One dataset, read from one place.

    Args:
        name: a dataset of `crs-hf data list` (its builder gives the KG processing and the dataset's facts).
        data_dir: a raw release folder (the builder reads it); `None` with `dataset_path=None`: the official
            download.
        dataset_path: an export folder or a Hub dataset repo id, read with `datasets.load_dataset(path, config)`.
        cache_dir: the `datasets` cache.
    """

    name: str
    data_dir: str | None = None
    dataset_path: str | None = None
    cache_dir: str | None = None

    def __post_init__(self):
        get_builder_class(self.name)  # an unknown name fails here, listing the known ones
        if self.data_dir is not None and self.dataset_path is not None:
            raise CRSHFError(f"{self.name}: give a raw release folder (data_dir={self.data_dir!r}) or an export "
                             f"folder / Hub repo (dataset_path={self.dataset_path!r}), not both")

    @classmethod
    def sample(cls, name: str) -> CRSDataSource:
        """The small synthetic sample of `name` that ships with crs_hf."""
        return cls(name, data_dir=sample_data_dir(name))

    @property
    def description(self) -> str:
        return self.dataset_path or self.data_dir or f"the official {self.name} release"

    def load(self, config: str) -> datasets.DatasetDict:
        """One config (`turns`, `entity_kg`, `entity2id`, ...) with its splits."""
        if self.dataset_path is None:
            return load_dataset(self.name, config, data_dir=self.data_dir, cache_dir=self.cache_dir)
        try:
            return datasets.load_dataset(self.dataset_path, config, cache_dir=self.cache_dir)
        except ValueError as error:  # e.g. "BuilderConfig 'word_kg' not found. Available: [...]"
            raise CRSHFError(f"{self.dataset_path}: no config {config!r} of {self.name}: {error}") from error

    def has_config(self, config: str) -> bool:
        """Whether the source can give `config` (an export of a text-only release has no KG configs)."""
        from crs_hf.data.builder import UnavailableConfigError

        try:
            self.load(config)
        except (UnavailableConfigError, CRSHFError, FileNotFoundError):
            return False
        return True

    def graph(self, kg: Literal["entity_kg", "word_kg"] = "entity_kg", **overrides) -> KGGraph:
        """The `entity_kg` or `word_kg` config as graph tensors, with the dataset's CRSLab processing
        (`KGProcessing`; `overrides` change its fields)."""
        from crs_hf.data.builder import UnavailableConfigError

        if kg not in ("entity_kg", "word_kg"):
            raise ValueError(f"kg must be 'entity_kg' or 'word_kg', but got kg={kg!r}")
        processing = getattr(get_builder_class(self.name), "GRAPH_PROCESSING", None)
        if processing is None:
            raise CRSHFError(f"dataset {self.name!r} has no CRSLab KG configs")
        triples = self.load(kg)["train"]
        try:
            table = self.load("entity2id" if kg == "entity_kg" else "word2id")["train"]
            node_ids = dict(zip(table.data.column("name").to_pylist(), table.data.column("id").to_pylist()))
        except UnavailableConfigError:  # an original release with a KG but no id table (OpenDialKG)
            node_ids = None
        return kg_to_graph(triples, node_ids, processing[kg], **overrides)
