"""DuRecDial 1.0 (Liu et al., ACL 2020): Chinese multi-type recommendation dialogs, with CN-DBpedia and HowNet.

Reads either release (see the dataset card, README.md, for the configs and the processing):

- CRSLab's processed release (`durecdial_jieba.zip`): `{train,valid,test}_data.json`, `token2id.json`,
  `entity2id.json`, `entity_subkg.txt`, `word2id.json`, `hownet_subkg.txt`, `item_ids.json`; every config.
- The original release: `{train,dev,test}.txt`, one dialog per JSON line (`goal`, `user_profile`, `knowledge`,
  `situation`, `conversation`); configs `turns` and `dialogs` (it annotates no items or entities per utterance).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crs_hf.citations import CRSLAB, DURECDIAL
from crs_hf.data.builder import CRSDatasetBuilder, OriginalRelease, crs_configs
from crs_hf.data.conversation import RECOMMENDER, SEEKER, Conversation, Utterance
from crs_hf.data.crslab import CRSLabLayout
from crs_hf.data.graph import ENTITY_KG, WORD_KG
from crs_hf.data.readers import iter_jsonl, require_field, require_str_list
from crs_hf.errors import CRSDataError

# CRSLab's processed release (jieba tokenization, version 0.3, sha256 c2d24f7d262e24e4...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "EQ5u_Mos1JBFo4MAN8DinUQB7dPWuTsIHGjjvMougLfYaQ?download=1")
# The original release (Baidu's PaddlePaddle/Research repository, ACL2020-DuRecDial).
ORIGINAL_URL = "https://github.com/PaddlePaddle/Research/tree/master/NLP/ACL2020-DuRecDial"
# Who opens the dialog is written in the first goal of the plan: "Bot 主动" (the bot) or "User 主动" (the user).
BOT_FIRST, USER_FIRST = "Bot 主动", "User 主动"
# "[n]" opens goal n; the dev split also has "[ 4 " without the closing bracket.
_GOAL_MARKER = re.compile(r"^\s*\[\s*(\d+)\s*\]?\s*")

_CITATION = DURECDIAL + CRSLAB


class DuRecDial(CRSDatasetBuilder):
    """DuRecDial 1.0 from CRSLab's processed release or the original one (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs()
    CRSLAB_LAYOUT = CRSLabLayout(item_field="item", entity_kg="entity_subkg.txt", word_kg="hownet_subkg.txt",
                                 item_list="item_ids.json")
    ORIGINAL = OriginalRelease(
        title="the original DuRecDial release",
        split_files={"train": "train.txt", "dev": "dev.txt", "test": "test.txt"},
        configs={"turns": (), "dialogs": ()},
    )
    GRAPH_PROCESSING = {"entity_kg": ENTITY_KG, "word_kg": WORD_KG}
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("DuRecDial 1.0: 10.2k Chinese dialogs mixing chit-chat, Q&A, task and recommendation goals "
                   "(movies, music, food, POIs, news); CN-DBpedia entity KG and HowNet word KG (CRSLab's release).")
    CITATION = _CITATION
    HOMEPAGE = "https://github.com/PaddlePaddle/Research/tree/master/NLP/ACL2020-DuRecDial"
    LICENSE = "unknown"

    def original_conversations(self, path: str, stem: str, folder: str) -> Iterator[Conversation]:
        """Speakers alternate from the side the first goal names; "[n]" goal markers leave the text (kept as
        `goal_index` in the utterance metadata); dialog ids are `<split stem>-<index>`."""
        for index, (line, record) in enumerate(iter_jsonl(path)):
            goal = require_field(record, "goal", str, path, line)
            first_goal = goal.split("-->")[0]
            if (BOT_FIRST in first_goal) == (USER_FIRST in first_goal):
                raise CRSDataError(path, line, "goal", f"cannot tell who speaks first: the first goal must name "
                                                       f"exactly one of {BOT_FIRST!r} and {USER_FIRST!r}")
            first, second = (RECOMMENDER, SEEKER) if BOT_FIRST in first_goal else (SEEKER, RECOMMENDER)
            utterances = []
            for position, text in enumerate(require_str_list(record, "conversation", path, line)):
                marker = _GOAL_MARKER.match(text)
                utterances.append(Utterance(
                    role=first if position % 2 == 0 else second,
                    text=text[marker.end():] if marker else text.strip(),
                    metadata={"goal_index": int(marker.group(1))} if marker else {},
                    location=(line, f"conversation[{position}]."),
                ))
            metadata = {key: value for key, value in record.items() if key != "conversation"}
            yield Conversation(f"{stem}-{index}", utterances, metadata, path)
