"""TG-ReDial (Zhou et al., COLING 2020): Chinese topic-guided movie-recommendation dialogs, with CN-DBpedia and HowNet.

Reads CRSLab's processed release (`tgredial_pkuseg.zip`; TG-ReDial has no other public release):
`{train,valid,test}_data.json`, `token2id.json`, `topic2id.json`, `entity2id.json`, `cn-dbpedia.txt`,
`word2id.json`, `hownet.txt`, `movie_ids.json`, `user2history.json`, `user2profile.json`. See the dataset card,
README.md, for the configs and the processing.
"""

from __future__ import annotations

from typing import Any

import datasets

from crs_hf.citations import CRSLAB, TGREDIAL
from crs_hf.data.builder import CRSDatasetBuilder, crs_configs
from crs_hf.data.conversation import Conversation, NameIndex, Utterance
from crs_hf.data.crslab import CRSLabFolder, CRSLabLayout
from crs_hf.data.graph import ENTITY_KG, WORD_KG
from crs_hf.data.readers import describe_type, require_field
from crs_hf.errors import CRSDataError

# CRSLab's processed release (pkuseg tokenization, version 0.3, sha256 8b7e23205778db4b...).
DOWNLOAD_URL = ("https://pkueducn-my.sharepoint.com/:u:/g/personal/franciszhou_pkueducn_onmicrosoft_com/"
                "Ee7FleGfEStCimV4XRKvo-kBR8ABdPKo0g_XqgLJPxP6tg?download=1")
RECOMMEND_MOVIE = "推荐电影"  # the target action CRSLab leaves out of `target` (the topic is then a movie)
PROFILE_FILE, HISTORY_FILE = "user2profile.json", "user2history.json"

_CITATION = TGREDIAL + CRSLAB

_TARGET = {"action": datasets.Value("string"), "topics": datasets.List(datasets.Value("string"))}


class TGReDial(CRSDatasetBuilder):
    """TG-ReDial from CRSLab's processed release (see the module docstring)."""

    BUILDER_CONFIGS = crs_configs(extra_id_maps=("topic2id",))
    CRSLAB_LAYOUT = CRSLabLayout(item_field="movie", entity_kg="cn-dbpedia.txt", word_kg="hownet.txt",
                                 dialog_field="messages", extra_id_maps=(("topic2id", "topic2id.json"),),
                                 turn_files=("topic2id.json", HISTORY_FILE, PROFILE_FILE))
    EXTRA_TURN_FEATURES = {
        "user_id": datasets.Value("string"),
        "user_profile": datasets.List(datasets.Value("string")),
        "interaction_history": datasets.List(datasets.Value("string")),
        "target": datasets.List(_TARGET),
        "context_targets": datasets.List(datasets.List(_TARGET)),
        "final": _TARGET,
    }
    GRAPH_PROCESSING = {"entity_kg": ENTITY_KG, "word_kg": WORD_KG}
    DOWNLOAD_URL = DOWNLOAD_URL
    DESCRIPTION = ("TG-ReDial: 10,000 Chinese movie-recommendation dialogs guided by topic threads, with user "
                   "profiles and interaction histories; CN-DBpedia entity KG and HowNet word KG (CRSLab's release).")
    CITATION = _CITATION
    HOMEPAGE = "https://github.com/RUCAIBox/TG-ReDial"
    LICENSE = "unknown"

    def turn_extras(
        self, release: CRSLabFolder, names: NameIndex, conversation: Conversation, utterances: list[Utterance]
    ) -> list[dict[str, Any]]:
        """The user's id and profile, the interaction history before each message, and its topic targets, read as
        CRSLab's TG-ReDial loader reads them; topics that `topic2id.json` lacks are dropped and counted."""
        line = conversation.utterances[0].location[0] if conversation.utterances else None
        user_id = str(require_field(conversation.metadata, "user_id", (str, int), conversation.path, line))
        profile = [" ".join(sentence) for sentence in self._profile(release, conversation, user_id, line)]
        targets = [self._target(names, conversation.path, u) for u in utterances]
        return [
            {
                "user_id": user_id,
                "user_profile": profile,
                "interaction_history": self._history(release, names, conversation, u),
                "target": targets[index],
                "context_targets": targets[:index],
                "final": self._final(names, conversation.path, u),
            }
            for index, u in enumerate(utterances)
        ]

    @staticmethod
    def _profile(release: CRSLabFolder, conversation: Conversation, user_id: str, line: int | None) -> list[list[str]]:
        profiles = release.json(PROFILE_FILE, dict)
        if user_id not in profiles:
            raise CRSDataError(conversation.path, line, "user_id", f"user {user_id!r} has no profile in {PROFILE_FILE}")
        profile = profiles[user_id]
        if not (isinstance(profile, list) and all(isinstance(s, list) and all(isinstance(t, str) for t in s)
                                                  for s in profile)):
            raise CRSDataError(release.path(PROFILE_FILE), None, repr(user_id), "expected a list of token lists")
        return profile

    @staticmethod
    def _history(
        release: CRSLabFolder, names: NameIndex, conversation: Conversation, utterance: Utterance
    ) -> list[str]:
        line, prefix = utterance.location
        local_id = require_field(utterance.metadata, "local_id", (int, str), conversation.path, line, prefix)
        key = f"{conversation.dialog_id}/{local_id}"
        history = release.json(HISTORY_FILE, dict).get(key, [])
        if not (isinstance(history, list) and all(type(i) is int for i in history)):
            reason = f"expected a list of entity ids, got {history!r}"
            raise CRSDataError(release.path(HISTORY_FILE), None, repr(key), reason)
        return names.lookup("history entity", history, release.id2entity, "entity2id.json")

    @staticmethod
    def _target(names: NameIndex, path: str, utterance: Utterance) -> list[dict[str, Any]]:
        """`[x, action1, topics1, action2, topics2, ...]` -> actions with their topics, CRSLab's way: pairs without
        topics and "recommend a movie" pairs are left out; a topic may be one string or a list."""
        line, prefix = utterance.location
        target = require_field(utterance.metadata, "target", list, path, line, prefix)
        pairs = []
        for position, (action, topics) in enumerate(zip(target[1::2], target[2::2])):
            if not isinstance(action, str):
                raise CRSDataError(path, line, f"{prefix}target[{2 * position + 1}]",
                                   f"expected an action (str), got {describe_type(action)}")
            if topics is None or action == RECOMMEND_MOVIE:
                continue
            topics = _topic_list(topics, path, line, f"{prefix}target[{2 * position + 2}]")
            pairs.append({"action": action, "topics": names.known("topic", topics)})
        return pairs

    @staticmethod
    def _final(names: NameIndex, path: str, utterance: Utterance) -> dict[str, Any]:
        """`[final action, [topic or null, ...]]`; CRSLab keeps only the topics (nulls become padding)."""
        line, prefix = utterance.location
        final = require_field(utterance.metadata, "final", list, path, line, prefix)
        if len(final) != 2 or not isinstance(final[0], str) or not isinstance(final[1], list):
            raise CRSDataError(path, line, f"{prefix}final", f"expected [action, [topic, ...]], got {final!r}")
        topics = [t for t in final[1] if t is not None]
        topics = _topic_list(topics, path, line, f"{prefix}final[1]")
        return {"action": final[0], "topics": names.known("topic", topics)}


def _topic_list(topics: Any, path: str, line: int | None, where: str) -> list[str]:
    topics = [topics] if isinstance(topics, str) else topics
    if not (isinstance(topics, list) and all(isinstance(t, str) for t in topics)):
        raise CRSDataError(path, line, where, f"expected a topic or a list of topics, got {topics!r}")
    return topics
