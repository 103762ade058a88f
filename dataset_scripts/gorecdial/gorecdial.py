"""GoRecDial (Kang et al., EMNLP 2019): English goal-driven movie-recommendation dialogs, with DBpedia and ConceptNet.

Reads CRSLab's processed release (`gorecdial_nltk.zip`): `{train,valid,test}_data.json`, `token2id.json`,
`entity2id.json`, `dbpedia_subkg.txt`, `word2id.json`, `conceptnet_subkg.txt`, `movie_ids.json`. See the dataset
card, README.md, for the configs and the processing.
"""

from __future__ import annotations

import json
from typing import Any

import datasets

from crs_hf.citations import CRSLAB, GORECDIAL
from crs_hf.data.builder import CRSDatasetBuilder, crs_configs
from crs_hf.data.conversation import Conversation, NameIndex, Utterance
from crs_hf.data.crslab import CRSLabFolder, CRSLabLayout
from crs_hf.data.graph import ENTITY_KG, WORD_KG
from crs_hf.data.readers import require_field

# CRSLab's processed release (nltk tokenization, version 0.31, sha256 58cd368f8f83c0c8...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "ESIqjwAg0ItAu7WGfukIt3cBXjzi7AZ9L_lcbFT1aS1qYQ?download=1")

_CITATION = GORECDIAL + CRSLAB


class GoRecDial(CRSDatasetBuilder):
    """GoRecDial from CRSLab's processed release (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs()
    CRSLAB_LAYOUT = CRSLabLayout(item_field="movies", entity_kg="dbpedia_subkg.txt", word_kg="conceptnet_subkg.txt")
    SKIP_EMPTY_UTTERANCES = True  # CRSLab's GoRecDial loader skips utterances without text
    # `decide` is kept as released: CRSLab copies it as `policy` and no model reads it, so its type is not fixed.
    EXTRA_TURN_FEATURES = {"decide": datasets.Json()}
    GRAPH_PROCESSING = {"entity_kg": ENTITY_KG, "word_kg": WORD_KG}
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("GoRecDial: 9,125 English dialogs in which an expert, who knows the seeker's watched movies, "
                   "recommends one of a few candidate movies; DBpedia entity KG and ConceptNet word KG "
                   "(CRSLab's release).")
    CITATION = _CITATION
    HOMEPAGE = "https://github.com/facebookresearch/GoRecDial"
    LICENSE = "unknown"

    def turn_extras(
        self, release: CRSLabFolder, names: NameIndex, conversation: Conversation, utterances: list[Utterance]
    ) -> list[dict[str, Any]]:
        """The response's `decide` field (required, as CRSLab's loader reads it from every utterance). It is passed
        JSON-encoded so that a string value stays a string (`datasets.Json` would parse "1" as 1)."""
        return [
            {"decide": json.dumps(require_field(u.metadata, "decide", object, conversation.path, *u.location))}
            for u in utterances
        ]
