"""OpenDialKG (Moon et al., ACL 2019): English dialogs grounded in walks over a Freebase-derived knowledge graph.

Reads either release (see the dataset card, README.md, for the configs and the processing):

- CRSLab's processed release (`opendialkg_nltk.zip`): `{train,valid,test}_data.json`, `token2id.json`,
  `entity2id.json`, `opendialkg_subkg.txt`, `word2id.json`, `concept_subkg.txt`, `item_ids.json`; every config.
- The original release: `opendialkg.csv` (columns Messages, User Rating, Assistant Rating; Messages is a JSON list
  of chat messages and KG-walk actions) and `opendialkg_triples.txt` (subject, relation, object, tab-separated);
  configs `turns`, `dialogs` (one `train` split: the release is not split) and `entity_kg`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from crs_hf.citations import CRSLAB, OPENDIALKG
from crs_hf.data.builder import CRSDatasetBuilder, OriginalRelease, crs_configs
from crs_hf.data.conversation import RECOMMENDER, SEEKER, Conversation, Utterance
from crs_hf.data.crslab import CRSLabLayout
from crs_hf.data.graph import WORD_KG, KGProcessing
from crs_hf.data.readers import describe_type, iter_csv, iter_tsv, require_field
from crs_hf.errors import CRSDataError

# CRSLab's processed release (nltk tokenization, version 0.3, sha256 6487f251ac74911e...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "ESB7grlJlehKv7XmYgMgq5AB85LhRu_rSW93_kL8Arfrhw?download=1")
# The original release: data/opendialkg.csv and data/opendialkg_triples.txt in the authors' repository.
ORIGINAL_URL = "https://github.com/facebookresearch/opendialkg/tree/main/data"
DIALOGS_FILE, TRIPLES_FILE = "opendialkg.csv", "opendialkg_triples.txt"
ROLES = {"user": SEEKER, "assistant": RECOMMENDER}

_CITATION = OPENDIALKG + CRSLAB


class OpenDialKG(CRSDatasetBuilder):
    """OpenDialKG from CRSLab's processed release or the original one (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs()
    CRSLAB_LAYOUT = CRSLabLayout(item_field="item", entity_kg="opendialkg_subkg.txt", word_kg="concept_subkg.txt",
                                 item_list="item_ids.json")
    ORIGINAL = OriginalRelease(
        title="the original OpenDialKG release",
        split_files={"train": DIALOGS_FILE},
        configs={"turns": (), "dialogs": (), "entity_kg": (TRIPLES_FILE,)},
    )
    MERGE_SAME_ROLE = True
    GRAPH_PROCESSING = {
        # CRSLab: forward edges only, a self-loop per triple end, relations seen more than 20000 times.
        "entity_kg": KGProcessing(both_directions=False, min_relation_count=20000),
        "word_kg": WORD_KG,
    }
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("OpenDialKG: 13,802 English chit-chat and recommendation dialogs (movies, books, sports, music) "
                   "whose turns are linked by paths over a 100k-entity knowledge graph.")
    CITATION = _CITATION
    HOMEPAGE = "https://github.com/facebookresearch/opendialkg"
    LICENSE = "cc-by-nc-4.0"

    def original_conversations(self, path: str, stem: str, folder: str) -> Iterator[Conversation]:
        """Chat messages become utterances (user = Seeker, assistant = Recommender). A KG-walk action's path
        `A -> ... -> C` links two turns: A is added to the previous utterance's entities, C to the next one's, which
        also keeps the path in its metadata (as the release documents: intermediate entities need not be said)."""
        for index, (line, row) in enumerate(iter_csv(path, ("Messages", "User Rating", "Assistant Rating"))):
            try:
                messages = json.loads(row["Messages"])
            except json.JSONDecodeError as error:
                raise CRSDataError(path, line, "Messages", f"invalid JSON ({error.msg})") from error
            if not isinstance(messages, list):
                raise CRSDataError(path, line, "Messages", f"expected a JSON list, got {describe_type(messages)}")
            utterances: list[Utterance] = []
            pending: dict[str, Any] = {}
            for position, message in enumerate(messages):
                prefix = f"Messages[{position}]."
                if not isinstance(message, dict):
                    raise CRSDataError(path, line, prefix[:-1], f"expected a JSON object, got {describe_type(message)}")
                kind = require_field(message, "type", str, path, line, prefix)
                if kind == "chat":
                    sender = require_field(message, "sender", str, path, line, prefix)
                    if sender not in ROLES:
                        raise CRSDataError(path, line, f"{prefix}sender", f"expected user or assistant, got {sender!r}")
                    utterances.append(Utterance(
                        role=ROLES[sender],
                        text=require_field(message, "message", str, path, line, prefix),
                        entities=[pending["to"]] if pending else [],
                        metadata={"kg_path": pending.get("path")},
                        location=(line, prefix),
                    ))
                    pending = {}
                elif isinstance(message.get("metadata"), dict) and "path" in message["metadata"]:
                    pending = _walk(message["metadata"]["path"], path, line, f"{prefix}metadata.path")
                    if utterances and pending["from"] not in utterances[-1].entities:
                        utterances[-1].entities.append(pending["from"])
            metadata = {"user_rating": row["User Rating"], "assistant_rating": row["Assistant Rating"]}
            yield Conversation(f"opendialkg-{index}", utterances, metadata, path)

    def original_side_records(self, kind: str, folder: str) -> Iterator[dict[str, Any]]:
        for _, (head, relation, tail) in iter_tsv(os.path.join(folder, TRIPLES_FILE), 3):
            yield {"head": head, "relation": relation, "tail": tail}


def _walk(value: Any, path: str, line: int, field: str) -> dict[str, Any]:
    """A path `[score, [[subject, relation, object], ...], rendering]` -> its first and last entity."""
    triples = value[1] if isinstance(value, list) and len(value) == 3 else None
    if not (isinstance(triples, list) and triples
            and all(isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) for x in t) for t in triples)):
        reason = f"expected [score, [[subject, relation, object], ...], text], got {value!r}"
        raise CRSDataError(path, line, field, reason)
    return {"from": triples[0][0], "to": triples[-1][2], "path": value}
