"""The datasets crs_hf can build, by name, and `load_dataset` to build one.

`datasets` >= 4 no longer runs loading scripts, so crs_hf runs its own builders: each one is a
`datasets.GeneratorBasedBuilder` in `dataset_scripts/<name>/<name>.py` (installed as `crs_hf.dataset_scripts`),
instantiated directly and cached in Arrow exactly like `datasets.load_dataset` caches.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from crs_hf.errors import CRSHFError

__all__ = [
    "DATASETS",
    "DatasetEntry",
    "build_dataset",
    "check_config",
    "config_names",
    "dataset_facts",
    "get_builder_class",
    "load_builder",
    "load_dataset",
    "sample_data_dir",
]

SAMPLES_DIR = Path(__file__).parent / "samples"


@dataclass(frozen=True)
class DatasetEntry:
    """Where a dataset's builder lives, and the facts about the dataset that every model and script shares.

    Args:
        name (`str`): the dataset name, e.g. `"redial"`.
        module (`str`): the importable module holding the builder.
        builder (`str`): the class name of its `datasets.GeneratorBasedBuilder`.
        has_sample (`bool`, defaults to `False`): an embedded sample ships in `crs_hf/data/samples/<name>/`.
        recommender_roles (`tuple[str, ...]`): the utterance roles the recommender speaks, as the built records
            name them: the turns whose responses become recommendation / conversation examples (ReDial:
            `("Recommender",)`; DuRecDial 2.0: `("bot",)`). CRSLab's TG-ReDial and INSPIRED systems also train on
            Seeker turns; that is a training choice, not who the recommender is.
        item_mention (`str` or `None`): a regular expression that matches one whitespace-separated token of a
            response naming an item (ReDial: `@\\d+`, its movie ids), or `None` where the text names items by
            their title words and has no item tokens.
    """

    name: str
    module: str
    builder: str
    has_sample: bool = False
    recommender_roles: tuple[str, ...] = field(kw_only=True)
    """The roles the recommender speaks, as the built records name them (see the class docstring)."""
    item_mention: str | None = field(kw_only=True)
    """A regex for one response token that names an item, or `None` (see the class docstring)."""

    def __post_init__(self):
        if not self.recommender_roles or not all(isinstance(role, str) for role in self.recommender_roles):
            raise ValueError(f"recommender_roles must be a non-empty tuple of role names, "
                             f"but got {self.recommender_roles!r} for {self.name!r}")
        if self.item_mention is not None:
            try:
                re.compile(self.item_mention)
            except re.error as error:
                raise ValueError(f"item_mention must be a regular expression, but got {self.item_mention!r} "
                                 f"for {self.name!r}: {error}") from None


# CRSLab's releases name the two speakers Seeker / Recommender; DuRecDial 2.0's records name them user / bot.
CRSLAB_RECOMMENDER = ("Recommender",)
# ReDial's movie ids ("@111776"); GoRecDial follows the same convention (see its entry).
MOVIE_ID_TOKEN = r"@\d+"

DATASETS: dict[str, DatasetEntry] = {
    entry.name: entry
    for entry in [
        DatasetEntry("durecdial2", "crs_hf.dataset_scripts.durecdial2.durecdial2", "DuRecDial2", has_sample=True,
                     recommender_roles=("bot",), item_mention=None),
        DatasetEntry("redial", "crs_hf.dataset_scripts.redial.redial", "ReDial", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=MOVIE_ID_TOKEN),
        # Movies sit between "《" and "》" as title words: no single token names an item.
        DatasetEntry("tgredial", "crs_hf.dataset_scripts.tgredial.tgredial", "TGReDial", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=None),
        # No GoRecDial file was available to check: "@<id>" as in ReDial (the original release marks the
        # expert's movies by id) is an assumption, the sample is written that way.
        DatasetEntry("gorecdial", "crs_hf.dataset_scripts.gorecdial.gorecdial", "GoRecDial", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=MOVIE_ID_TOKEN),
        DatasetEntry("opendialkg", "crs_hf.dataset_scripts.opendialkg.opendialkg", "OpenDialKG", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=None),
        DatasetEntry("inspired", "crs_hf.dataset_scripts.inspired.inspired", "Inspired", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=None),
        DatasetEntry("durecdial", "crs_hf.dataset_scripts.durecdial.durecdial", "DuRecDial", has_sample=True,
                     recommender_roles=CRSLAB_RECOMMENDER, item_mention=None),
    ]
}


def _entry(name: str) -> DatasetEntry:
    if name not in DATASETS:
        raise CRSHFError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def dataset_facts(name: str) -> DatasetEntry:
    """The registry entry of dataset `name`: its builder and its facts (`recommender_roles`, `item_mention`).

    Example:
        >>> from crs_hf.data import dataset_facts
        >>> facts = dataset_facts("redial")
        >>> facts.recommender_roles, facts.item_mention
        (('Recommender',), '@\\\\d+')
    """
    return _entry(name)


def get_builder_class(name: str) -> type[datasets.GeneratorBasedBuilder]:
    entry = _entry(name)
    return getattr(importlib.import_module(entry.module), entry.builder)


def sample_data_dir(name: str) -> str:
    """The folder of the small synthetic sample of `name` that ships with crs_hf (raw files, published format)."""
    if not _entry(name).has_sample:
        raise CRSHFError(f"dataset {name!r} has no embedded sample; samples exist for: "
                         f"{', '.join(n for n, e in DATASETS.items() if e.has_sample)}")
    return str(SAMPLES_DIR / name)


def _cache_hash(builder_class: type, data_dir: str | None) -> str:
    """Keys the Arrow cache on the builder's source and on the raw files' names, sizes and modification times.

    So editing a builder or a raw file rebuilds, as `datasets.load_dataset` does for scripts and local data files.
    """
    digest = hashlib.sha256(inspect.getsource(inspect.getmodule(builder_class)).encode())
    if data_dir is not None and os.path.isdir(data_dir):
        for folder, subfolders, names in os.walk(data_dir):
            subfolders.sort()
            for name in sorted(names):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{os.path.relpath(os.path.join(folder, name), data_dir)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def config_names(name: str) -> list[str]:
    """The configs of dataset `name`, default first as declared by its builder."""
    return [config.name for config in get_builder_class(name).BUILDER_CONFIGS]


def check_config(name: str, config: str | None) -> None:
    """Raises `CRSHFError` listing the available configs if `config` is not one of dataset `name`'s."""
    known = config_names(name)
    if config is not None and config not in known:
        raise CRSHFError(f"dataset {name!r} has no config {config!r}; available: {', '.join(known)}")


def load_builder(
    name: str, config: str | None = None, data_dir: str | os.PathLike | None = None, cache_dir: str | None = None
) -> datasets.GeneratorBasedBuilder:
    """Instantiates the builder of `name` for `config` (the dataset's default config if `None`), without building."""
    builder_class = get_builder_class(name)
    check_config(name, config)
    data_dir = None if data_dir is None else os.path.abspath(os.fspath(data_dir))
    return builder_class(
        config_name=config,
        dataset_name=name,
        cache_dir=cache_dir,
        data_dir=data_dir,
        hash=_cache_hash(builder_class, data_dir),
    )


def load_dataset(
    name: str, config: str | None = None, data_dir: str | os.PathLike | None = None, cache_dir: str | None = None
) -> datasets.DatasetDict:
    """Builds (or reloads from cache) one config of a crs_hf dataset.

    Args:
        name: a dataset name from `crs-hf data list`, e.g. `"durecdial2"`.
        config: a config of that dataset, e.g. `"en-zh"`; its default config if `None`.
        data_dir: a folder with the raw files as released; if `None` they are downloaded from the official URL.
        cache_dir: where the Arrow cache goes (default: the `datasets` cache, `HF_DATASETS_CACHE`).

    Returns:
        A `datasets.DatasetDict` with the splits found (e.g. train, validation, test).

    Raises:
        CRSDataError: the raw files are malformed; the message names file, line and field. Nothing is cached then.

    Example:
        >>> import crs_hf
        >>> ds = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=crs_hf.data.sample_data_dir("durecdial2"))
        >>> ds["train"][0]["target_lang"]
        'zh'
    """
    return build_dataset(load_builder(name, config, data_dir, cache_dir))


def build_dataset(builder: datasets.DatasetBuilder) -> datasets.DatasetDict:
    """Prepares `builder` (or finds its cache) and returns its splits; our errors surface as they were raised."""
    try:
        builder.download_and_prepare()
    except datasets.exceptions.DatasetGenerationError as error:
        # `datasets` wraps errors raised while generating; surface ours with its file/line/field message.
        if isinstance(error.__cause__, CRSHFError):
            raise error.__cause__ from None
        raise
    return builder.as_dataset()
