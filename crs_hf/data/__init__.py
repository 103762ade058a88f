"""Datasets: the registry of builders, loading, and export/push to the Hub layout."""

from crs_hf.data.hub import export_dataset, push_dataset
from crs_hf.data.registry import DATASETS, get_builder_class, load_builder, load_dataset, sample_data_dir

__all__ = [
    "DATASETS",
    "export_dataset",
    "get_builder_class",
    "load_builder",
    "load_dataset",
    "push_dataset",
    "sample_data_dir",
]
