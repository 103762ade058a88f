"""ReDial (Li et al., NeurIPS 2018): English movie-recommendation dialogs, with CRSLab's DBpedia and ConceptNet KGs.

Reads either release (see the dataset card, README.md, for the configs and the processing):

- CRSLab's processed release (`redial_nltk.zip`): `{train,valid,test}_data.json`, `token2id.json`,
  `entity2id.json`, `dbpedia_subkg.json` (KGSF's id adjacency), `concept2id.json`, `conceptnet_subkg.txt`,
  `movie_ids.json`; every config.
- The original release: `{train,valid,test}_data.jsonl` (one dialog per line; "@<movieId>" marks a movie mention)
  and `movies_with_mentions.csv` (movieId, movieName, nbMentions); configs `turns`, `dialogs`, `items`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from crs_hf.citations import CRSLAB, REDIAL
from crs_hf.data.builder import CRSDatasetBuilder, OriginalRelease, crs_configs
from crs_hf.data.conversation import RECOMMENDER, SEEKER, Conversation, NameIndex, Utterance
from crs_hf.data.crslab import CRSLabLayout
from crs_hf.data.graph import WORD_KG, KGProcessing
from crs_hf.data.readers import iter_csv, iter_jsonl, require_field
from crs_hf.errors import CRSDataError

# CRSLab's processed release (nltk tokenization, version 0.31, sha256 01dc2ebf15a0988a...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "EdVnNcteOkpAkLdNL-ejvAABPieUd8jIty3r1jcdJvGLzw?download=1")
# The original release (train_data.jsonl, test_data.jsonl, movies_with_mentions.csv).
ORIGINAL_URL = "https://github.com/ReDialData/website/raw/data/redial_dataset.zip"
MOVIES_FILE = "movies_with_mentions.csv"
_MENTION = re.compile(r"@(\d+)")

_CITATION = REDIAL + CRSLAB


class ReDial(CRSDatasetBuilder):
    """ReDial from CRSLab's processed release or the original one (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs()
    CRSLAB_LAYOUT = CRSLabLayout(item_field="movies", entity_kg="dbpedia_subkg.json", word_kg="conceptnet_subkg.txt",
                                 word_map="concept2id.json", word_kg_relation_first=True)
    ORIGINAL = OriginalRelease(
        title="the original ReDial release",
        split_files={"train": "train_data.jsonl", "valid": "valid_data.jsonl", "test": "test_data.jsonl"},
        configs={"turns": (MOVIES_FILE,), "dialogs": (), "items": (MOVIES_FILE,)},
        item_field="text",  # items are the "@<movieId>" mentions in the text
    )
    MERGE_SAME_ROLE = True
    GRAPH_PROCESSING = {
        # KGSF's adjacency: a self-loop (relation id 185) per head, both directions, relations seen > 1000 times.
        "entity_kg": KGProcessing(self_loops_for="heads", self_loop_relation="185", drop_input_self_edges=True,
                                  min_relation_count=1000),
        "word_kg": WORD_KG,
    }
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("ReDial: 10,006 English dialogs in which a seeker asks a recommender for movies, movie mentions "
                   "marked; with CRSLab's DBpedia entity KG and ConceptNet word KG.")
    CITATION = _CITATION
    HOMEPAGE = "https://redialdata.github.io/website/"
    LICENSE = "cc-by-4.0"

    def original_conversations(self, path: str, stem: str, folder: str) -> Iterator[Conversation]:
        """Roles from the sender (the initiator is the seeker); items are the "@<movieId>" mentions; empty
        messages are left out, as in CRSLab's processed release."""
        for line, record in iter_jsonl(path):
            seeker = require_field(record, "initiatorWorkerId", int, path, line)
            recommender = require_field(record, "respondentWorkerId", int, path, line)
            utterances = []
            for index, message in enumerate(require_field(record, "messages", list, path, line)):
                prefix = f"messages[{index}]."
                if not isinstance(message, dict):
                    raise CRSDataError(path, line, prefix[:-1], "expected a JSON object")
                text = require_field(message, "text", str, path, line, prefix)
                sender = require_field(message, "senderWorkerId", int, path, line, prefix)
                if sender not in (seeker, recommender):
                    reason = f"expected the initiator ({seeker}) or the respondent ({recommender}), got {sender}"
                    raise CRSDataError(path, line, f"{prefix}senderWorkerId", reason)
                if not text.strip():
                    continue
                utterances.append(Utterance(
                    role=SEEKER if sender == seeker else RECOMMENDER,
                    text=text,
                    items=_MENTION.findall(text),
                    metadata={key: value for key, value in message.items() if key != "text"},
                    location=(line, prefix),
                ))
            dialog_id = str(require_field(record, "conversationId", (str, int), path, line))
            metadata = {key: value for key, value in record.items() if key not in ("messages", "conversationId")}
            yield Conversation(dialog_id, utterances, metadata, path)

    def original_names(self, folder: str) -> NameIndex:
        return NameIndex(items=({row["item_id"] for row in self._movies(folder)}, MOVIES_FILE))

    def original_side_records(self, kind: str, folder: str) -> Iterator[dict[str, Any]]:
        yield from self._movies(folder)

    @staticmethod
    def _movies(folder: str) -> Iterator[dict[str, Any]]:
        path = os.path.join(folder, MOVIES_FILE)
        for line, row in iter_csv(path, ("movieId", "movieName", "nbMentions")):
            for column in ("movieId", "nbMentions"):
                if not row[column].isdigit():
                    raise CRSDataError(path, line, column, f"expected a non-negative integer, got {row[column]!r}")
            yield {"item_id": row["movieId"], "name": row["movieName"], "entity_id": None,
                   "metadata": {"nbMentions": int(row["nbMentions"])}}
