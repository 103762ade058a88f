"""INSPIRED (Hayati et al., EMNLP 2020): English sociable movie-recommendation dialogs, with DBpedia and ConceptNet.

Reads either release (see the dataset card, README.md, for the configs and the processing):

- CRSLab's processed release (`inspired_nltk.zip`): `{train,valid,test}_data.json`, `token2id.json`,
  `entity2id.json`, `dbpedia_subkg.txt`, `word2id.json`, `concept_subkg.txt`, `movie_ids.json`; every config.
- The original release: `{train,dev,test}.tsv` (one utterance per row, 19 tab-separated columns, no quoting);
  configs `turns`, `dialogs`, `items` (the movies the dialogs mention).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from typing import Any

from crs_hf.citations import CRSLAB, INSPIRED
from crs_hf.data.builder import SPLIT_FILES, CRSDatasetBuilder, OriginalRelease, crs_configs
from crs_hf.data.conversation import RECOMMENDER, SEEKER, Conversation, Utterance
from crs_hf.data.crslab import CRSLabLayout
from crs_hf.data.graph import ENTITY_KG, WORD_KG
from crs_hf.data.readers import iter_csv
from crs_hf.errors import CRSDataError

# CRSLab's processed release (nltk tokenization, version 0.3, sha256 776cadc7585abdbc...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "EdDgeChYguFLvz8hmkNdRhABmQF-LBfYtdb7rcdnB3kUgA?download=1")
# The original release: data/dialog_data/{train,dev,test}.tsv in the authors' repository.
ORIGINAL_URL = "https://github.com/sweetpeach/Inspired/tree/master/data/dialog_data"
COLUMNS = (
    "dialog_id", "utt_id", "speaker", "turn_id", "text", "text_with_placeholder", "movies", "genres", "people_names",
    "movie_dict", "genre_dict", "actor_dict", "director_dict", "others_dict", "expert_label", "second_label",
    "fine_label", "coarse_label", "movie_id",
)
ROLES = {"SEEKER": SEEKER, "RECOMMENDER": RECOMMENDER}
# Columns that hold one value per dialog (kept once, in the dialog's metadata); the rest describe one utterance.
DIALOG_COLUMNS = ("movie_dict", "genre_dict", "actor_dict", "director_dict", "others_dict", "movie_id")
# The release writes double quotes in `text` as this placeholder (`text_with_placeholder` has real quotes).
QUOTE_PLACEHOLDER = "QUOTATION_MARK"

_CITATION = INSPIRED + CRSLAB


def _split_list(value: str) -> list[str]:
    """`"Elf (2003);  Just Friends (2005)"` -> `["Elf (2003)", "Just Friends (2005)"]`."""
    return [part.strip() for part in value.split(";") if part.strip()]


class Inspired(CRSDatasetBuilder):
    """INSPIRED from CRSLab's processed release or the original one (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs()
    CRSLAB_LAYOUT = CRSLabLayout(item_field="movies", entity_kg="dbpedia_subkg.txt", word_kg="concept_subkg.txt")
    ORIGINAL = OriginalRelease(
        title="the original INSPIRED release",
        split_files={"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"},
        configs={"turns": (), "dialogs": (), "items": (SPLIT_FILES,)},
        item_field="movies",
    )
    MERGE_SAME_ROLE = True
    GRAPH_PROCESSING = {"entity_kg": ENTITY_KG, "word_kg": WORD_KG}
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("INSPIRED: 1,001 English dialogs in which a recommender persuades a seeker to watch a movie, "
                   "annotated with sociable strategies; DBpedia entity KG and ConceptNet word KG (CRSLab's release).")
    CITATION = _CITATION
    HOMEPAGE = "https://github.com/sweetpeach/Inspired"
    LICENSE = "unknown"

    def original_conversations(self, path: str, stem: str, folder: str) -> Iterator[Conversation]:
        """Rows grouped by `dialog_id` (a dialog's rows must be adjacent); items from `movies`, entities from
        `people_names` and `genres` (";"-separated), QUOTATION_MARK turned back into a double quote."""
        rows: list[tuple[int, dict[str, str]]] = []
        done: set[str] = set()
        for line, row in iter_csv(path, COLUMNS, delimiter="\t", quoting=csv.QUOTE_NONE):
            if rows and row["dialog_id"] != rows[-1][1]["dialog_id"]:
                done.add(rows[-1][1]["dialog_id"])
                yield self._conversation(rows, path)
                rows = []
            if row["dialog_id"] in done:
                raise CRSDataError(path, line, "dialog_id", f"rows of dialog {row['dialog_id']!r} are not adjacent")
            rows.append((line, row))
        if rows:
            yield self._conversation(rows, path)

    @staticmethod
    def _conversation(rows: list[tuple[int, dict[str, str]]], path: str) -> Conversation:
        utterances = []
        for line, row in rows:
            if row["speaker"] not in ROLES:
                raise CRSDataError(path, line, "speaker", f"expected SEEKER or RECOMMENDER, got {row['speaker']!r}")
            utterances.append(Utterance(
                role=ROLES[row["speaker"]],
                text=row["text"].replace(QUOTE_PLACEHOLDER, '"'),
                items=_split_list(row["movies"]),
                entities=_split_list(row["people_names"]) + _split_list(row["genres"]),
                metadata={k: v for k, v in row.items() if k not in ("dialog_id", "speaker", "text", *DIALOG_COLUMNS)},
                location=(line, ""),
            ))
        first = rows[0][1]
        return Conversation(first["dialog_id"], utterances, {k: first[k] for k in DIALOG_COLUMNS}, path)

    def original_side_records(self, kind: str, folder: str) -> Iterator[dict[str, Any]]:
        """The movies mentioned in the dialogs (`movies` column), each once, in order of first mention."""
        seen: set[str] = set()
        for stem, name in self.ORIGINAL.split_files.items():
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                continue
            for conversation in self.original_conversations(path, stem, folder):
                for movie in (m for u in conversation.utterances for m in u.items):
                    if movie not in seen:
                        seen.add(movie)
                        yield {"item_id": movie, "name": movie, "entity_id": None, "metadata": None}
