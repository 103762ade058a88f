"""Datasets: the registry of builders, loading, export/push to the Hub layout, and KG -> graph tensors."""

from crs_hf.data.graph import ENTITY_KG, WORD_KG, KGGraph, KGProcessing, kg_to_graph, load_graph
from crs_hf.data.hub import export_dataset, push_dataset
from crs_hf.data.registry import DATASETS, dataset_facts, get_builder_class, load_builder, load_dataset, sample_data_dir

__all__ = [
    "DATASETS",
    "ENTITY_KG",
    "KGGraph",
    "KGProcessing",
    "WORD_KG",
    "dataset_facts",
    "export_dataset",
    "get_builder_class",
    "kg_to_graph",
    "load_builder",
    "load_dataset",
    "load_graph",
    "push_dataset",
    "sample_data_dir",
]
