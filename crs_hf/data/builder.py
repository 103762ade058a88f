"""The builder shared by CRSLab's six datasets: every config from CRSLab's processed release or an original one.

A dataset's builder (`dataset_scripts/<name>/<name>.py`) only declares what differs: its CRSLab file layout, its
role rule (merge or alternate), extra turn fields, KG processing defaults, and, where an original release exists,
how to read it. Everything else is here, once.

Configs (the same names for every dataset):

==============  ==========================================================================================
config          one record per
==============  ==========================================================================================
`turns`         utterance after a dialog's first (CRSLab's training sample; filter by `role`)
`dialogs`       dialog, as released (no merging, no name filtering)
`entity_kg`     entity-KG triple (head, relation, tail)
`word_kg`       word-KG triple
`items`         recommendable item (item id, name, entity id, metadata)
`entity2id`,    name of CRSLab's id tables (name, id), so CRSLab ids and models trained on them line up
`word2id`,
`token2id`
==============  ==========================================================================================

The input form is chosen from the files in `data_dir`: CRSLab's processed release if any
`{train,valid,test}_data.json` is there, else the dataset's original release. Without `data_dir`, CRSLab's release
is downloaded. A config the input cannot give (a KG from a text-only release) raises `UnavailableConfigError`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import datasets
from datasets.builder import Key

from crs_hf.data.conversation import (
    DIALOG_FEATURES,
    ID_MAP_FEATURES,
    ITEM_FEATURES,
    KG_FEATURES,
    TURN_FEATURES,
    Conversation,
    NameIndex,
    Utterance,
    build_turns,
    dialog_record,
)
from crs_hf.data.crslab import CRSLAB_SPLIT_FILES, CRSLabFolder, CRSLabLayout
from crs_hf.data.graph import KGProcessing
from crs_hf.errors import CRSDataError

__all__ = [
    "SPLIT_FILES",
    "CRSConfig",
    "CRSDatasetBuilder",
    "OriginalRelease",
    "UnavailableConfigError",
    "crs_configs",
]

logger = datasets.logging.get_logger(__name__)

CONFIG_DESCRIPTIONS = {
    "turns": "One record per utterance after the first: context, response, entities/words/items (CRSLab's samples).",
    "dialogs": "One record per dialog, as released.",
    "entity_kg": "Entity knowledge graph: (head, relation, tail) triples.",
    "word_kg": "Word knowledge graph: (head, relation, tail) triples.",
    "items": "Recommendable items: item id, name, entity id, metadata.",
    "entity2id": "CRSLab's entity name -> id table.",
    "word2id": "CRSLab's word-KG name -> id table.",
    "token2id": "CRSLab's token -> id vocabulary.",
    "topic2id": "TG-ReDial's topic -> id table.",
}
PER_SPLIT = ("turns", "dialogs")
# Split stems of the releases -> datasets splits.
SPLIT_NAMES = {"train": datasets.Split.TRAIN, "valid": datasets.Split.VALIDATION, "dev": datasets.Split.VALIDATION,
               "test": datasets.Split.TEST}
CRSLAB, ORIGINAL = "crslab", "original"
SPLIT_FILES = "<split files>"  # in `OriginalRelease.configs`: the config reads the split files
VERSION = datasets.Version("1.0.0")  # of the records the builders write; bump when they change


class UnavailableConfigError(CRSDataError):
    """The input release cannot give the config asked for (e.g. a knowledge graph from a text-only release)."""


@dataclass
class CRSConfig(datasets.BuilderConfig):
    """BuilderConfig of the CRSLab datasets; its name is the config kind (`turns`, `dialogs`, `entity_kg`, ...)."""

    def __post_init__(self):
        super().__post_init__()
        if self.name not in CONFIG_DESCRIPTIONS:
            raise ValueError(f"config name must be one of {', '.join(CONFIG_DESCRIPTIONS)}, but got {self.name!r}")


def crs_configs(extra_id_maps: tuple[str, ...] = ()) -> list[CRSConfig]:
    """The configs every CRSLab dataset has, plus `extra_id_maps` (TG-ReDial: `topic2id`)."""
    names = ["turns", "dialogs", "entity_kg", "word_kg", "items", "entity2id", "word2id", "token2id", *extra_id_maps]
    return [CRSConfig(name=name, version=VERSION, description=CONFIG_DESCRIPTIONS[name]) for name in names]


@dataclass(frozen=True)
class OriginalRelease:
    """A dataset's original (pre-CRSLab) release, as its builder reads it.

    Args:
        title: how errors name it, e.g. `"the original ReDial release"`.
        split_files: split stem -> file name, e.g. `{"train": "train_data.jsonl", "test": "test_data.jsonl"}`.
        configs: the configs it can give -> the other files they read; `turns` and `dialogs` read the split files,
            a side config reads them too if its tuple holds `SPLIT_FILES`.
        item_field: where an utterance's items come from, as errors about a gold item name it.
    """

    title: str
    split_files: dict[str, str]
    configs: dict[str, tuple[str, ...]]
    item_field: str = "items"


def _shared_source_digest() -> str:
    """Digest of this module and the modules it builds with, so that editing them invalidates cached builds
    (the registry's cache key covers only the dataset's own builder file)."""
    digest = hashlib.sha256()
    for module in ("crs_hf.data.builder", "crs_hf.data.conversation", "crs_hf.data.crslab", "crs_hf.data.readers"):
        digest.update(inspect.getsource(sys.modules[module]).encode())
    return digest.hexdigest()[:16]


class CRSDatasetBuilder(datasets.GeneratorBasedBuilder):
    """Base builder of the CRSLab datasets (see the module docstring); subclasses set the class attributes."""

    CRSLAB_LAYOUT: ClassVar[CRSLabLayout]
    ORIGINAL: ClassVar[OriginalRelease | None] = None
    # CRSLab's role rule: merge consecutive same-role utterances (True) or require strict alternation (False).
    MERGE_SAME_ROLE: ClassVar[bool] = False
    SKIP_EMPTY_UTTERANCES: ClassVar[bool] = False
    EXTRA_TURN_FEATURES: ClassVar[dict[str, Any]] = {}
    # CRSLab's KG processing per KG config, used by `crs_hf.data.load_graph`.
    GRAPH_PROCESSING: ClassVar[dict[str, KGProcessing]]
    DOWNLOAD_URL: ClassVar[str]  # CRSLab's processed release (a zip)
    DESCRIPTION: ClassVar[str]
    CITATION: ClassVar[str]
    HOMEPAGE: ClassVar[str]
    LICENSE: ClassVar[str]

    VERSION = VERSION
    BUILDER_CONFIG_CLASS = CRSConfig
    DEFAULT_CONFIG_NAME = "turns"

    def __init__(self, *args, hash: str | None = None, **kwargs):  # noqa: A002 (datasets' argument name)
        if hash is not None:
            hash = hashlib.sha256(f"{hash}:{_shared_source_digest()}".encode()).hexdigest()[:16]
        super().__init__(*args, hash=hash, **kwargs)

    # ---- hooks for datasets with an original release ----------------------------------------------------------

    def original_conversations(self, path: str, stem: str, folder: str) -> Iterator[Conversation]:
        """The conversations of one split file of the original release."""
        raise NotImplementedError

    def original_names(self, folder: str) -> NameIndex:
        """The original release's item list (for the gold-item check of `turns`); none by default."""
        return NameIndex()

    def original_side_records(self, kind: str, folder: str) -> Iterator[dict[str, Any]]:
        """The records of a side config (`items`, `entity_kg`) the original release gives."""
        raise NotImplementedError

    def turn_extras(
        self, release: CRSLabFolder, names: NameIndex, conversation: Conversation, utterances: list[Utterance]
    ) -> list[dict[str, Any]]:
        """The dataset-specific fields (`EXTRA_TURN_FEATURES`), one dict per utterance: those of the record whose
        response it is. Called once per conversation, on the utterances `turns` uses (merged, names filtered)."""
        return [{} for _ in utterances]

    # ---- datasets.GeneratorBasedBuilder ------------------------------------------------------------------------

    def _info(self) -> datasets.DatasetInfo:
        kind = self.config.name
        features = {
            "turns": datasets.Features({**TURN_FEATURES, **self.EXTRA_TURN_FEATURES}),
            "dialogs": DIALOG_FEATURES,
            "entity_kg": KG_FEATURES,
            "word_kg": KG_FEATURES,
            "items": ITEM_FEATURES,
        }.get(kind, ID_MAP_FEATURES)
        return datasets.DatasetInfo(description=self.DESCRIPTION, features=features, homepage=self.HOMEPAGE,
                                    license=self.LICENSE, citation=self.CITATION)

    def raw_files(self) -> list[str]:
        """The files this config reads from `data_dir` (for the provenance section of an exported card)."""
        form, folder = self._input(os.path.abspath(self.config.data_dir))
        splits, side = self._files(form, folder)
        return [*splits.values(), *side]

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        if self.config.data_dir:
            folder = os.path.abspath(os.path.expanduser(self.config.data_dir))
            if not os.path.isdir(folder):
                raise CRSDataError(folder, None, None, "data_dir is not a folder")
        else:
            folder = _find_release_folder(dl_manager.download_and_extract(self.DOWNLOAD_URL))
        form, folder = self._input(folder)
        splits, _ = self._files(form, folder)
        if self.config.name in PER_SPLIT:
            return [
                datasets.SplitGenerator(name=SPLIT_NAMES[stem], gen_kwargs={"form": form, "folder": folder,
                                                                            "stem": stem, "path": path})
                for stem, path in splits.items()
            ]
        return [datasets.SplitGenerator(name=datasets.Split.TRAIN,
                                        gen_kwargs={"form": form, "folder": folder, "stem": None, "path": None})]

    def _generate_examples(self, form: str, folder: str, stem: str | None, path: str | None):
        for index, record in enumerate(self._records(form, folder, stem, path)):
            yield Key(0, index), record

    # ---- internals -------------------------------------------------------------------------------------------

    def _input(self, folder: str) -> tuple[str, str]:
        """(form, folder): CRSLab's release if one of its split files is in `folder`, else the original release."""
        if any(os.path.isfile(os.path.join(folder, name)) for name in CRSLAB_SPLIT_FILES.values()):
            return CRSLAB, folder
        if self.ORIGINAL and any(os.path.isfile(os.path.join(folder, f)) for f in self.ORIGINAL.split_files.values()):
            return ORIGINAL, folder
        expected = "CRSLab's processed release ({train,valid,test}_data.json with its side files)"
        if self.ORIGINAL:
            expected += f" or {self.ORIGINAL.title} ({', '.join(self.ORIGINAL.split_files.values())})"
        raise CRSDataError(folder, None, None, f"no {self.dataset_name} files found: expected {expected}")

    def _files(self, form: str, folder: str) -> tuple[dict[str, str], list[str]]:
        """The split files (`{stem: path}`) and side files this config reads; raises if the input lacks them."""
        kind = self.config.name
        present = lambda names: {stem: os.path.join(folder, name) for stem, name in names.items()  # noqa: E731
                                 if os.path.isfile(os.path.join(folder, name))}
        if form == CRSLAB:
            splits = present(CRSLAB_SPLIT_FILES) if kind in PER_SPLIT else {}
            side = self.CRSLAB_LAYOUT.files_for(kind)
        elif kind in self.ORIGINAL.configs:
            reads_splits = kind in PER_SPLIT or SPLIT_FILES in self.ORIGINAL.configs[kind]
            splits = present(self.ORIGINAL.split_files) if reads_splits else {}
            side = [name for name in self.ORIGINAL.configs[kind] if name != SPLIT_FILES]
        else:
            configs = list(self.ORIGINAL.configs)
            raise UnavailableConfigError(
                folder, None, None,
                f"config {kind!r} needs CRSLab's processed release; {self.ORIGINAL.title} found here gives only "
                f"{', '.join(configs)} (pass them as configs, e.g. --config {' '.join(configs)})",
            )
        side = [os.path.join(folder, name) for name in side]
        for path in side:
            if not os.path.isfile(path):
                raise CRSDataError(path, None, None, f"file not found (the {kind!r} config needs it)")
        return splits, side

    def _records(self, form: str, folder: str, stem: str | None, path: str | None) -> Iterator[dict[str, Any]]:
        kind = self.config.name
        release = CRSLabFolder(folder, self.CRSLAB_LAYOUT)
        if kind not in PER_SPLIT:
            if form == CRSLAB:
                yield from release.side_records(kind)
            else:
                yield from self.original_side_records(kind, folder)
            return
        conversations = (release.conversations(path, stem) if form == CRSLAB
                         else self.original_conversations(path, stem, folder))
        if kind == "dialogs":
            yield from map(dialog_record, conversations)
            return
        names = release.names() if form == CRSLAB else self.original_names(folder)
        extras = functools.partial(self.turn_extras, release, names) if self.EXTRA_TURN_FEATURES else None
        item_field = self.CRSLAB_LAYOUT.item_field if form == CRSLAB else self.ORIGINAL.item_field
        for conversation in conversations:
            yield from build_turns(conversation, merge=self.MERGE_SAME_ROLE, names=names, item_field=item_field,
                                   skip_empty=self.SKIP_EMPTY_UTTERANCES, extras=extras)
        names.report(path)


def _find_release_folder(extracted: str) -> str:
    """The folder of a downloaded CRSLab archive that holds its `*_data.json` split files."""
    for folder, _, names in os.walk(extracted):
        if any(name in names for name in CRSLAB_SPLIT_FILES.values()):
            return folder
    raise CRSDataError(extracted, None, None, "the downloaded archive holds no CRSLab *_data.json split files")
