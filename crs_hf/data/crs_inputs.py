"""CRSLab-style `turns` records -> model inputs for the knowledge-graph CRS models (KBRD, KGSF, ReDial).

`CRSVocabulary` holds the id maps of one dataset release (entity2id, word2id and the item catalogue), read from
the dataset's own id-map configs so that ids line up with CRSLab's. `recommendation_examples` turns each
recommendation turn into one example per gold item, CRSLab's protocol, and `RecommendationCollator` pads them;
`conversation_examples` / `ConversationCollator` do the same for response generation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import datasets
import torch

from crs_hf.data.collate import pad_id_lists
from crs_hf.data.registry import load_dataset

__all__ = [
    "CRSVocabulary",
    "ConversationCollator",
    "RecommendationCollator",
    "conversation_examples",
    "copyable_tokens",
    "recommendation_examples",
]


@dataclass
class CRSVocabulary:
    """Id maps of one dataset release.

    Attributes:
        entity_ids: entity name -> id (`entity2id`); 0 is the padding entity.
        word_ids: word-KG name -> id (`word2id`); 0 is the padding word.
        item_entity_ids: the item catalogue as entity ids, in catalogue order (KBRD's `config.item_ids`).
    """

    entity_ids: dict[str, int]
    word_ids: dict[str, int]
    item_entity_ids: list[int]

    @classmethod
    def from_dataset(cls, name: str, data_dir: str | os.PathLike | None = None, cache_dir: str | None = None):
        """Reads the `entity2id`, `word2id` and `items` configs of dataset `name`."""

        def id_map(config: str) -> dict[str, int]:
            table = load_dataset(name, config, data_dir=data_dir, cache_dir=cache_dir)["train"]
            return dict(zip(table["name"], table["id"]))

        items = load_dataset(name, "items", data_dir=data_dir, cache_dir=cache_dir)["train"]
        missing = [row["item_id"] for row in items if row["entity_id"] is None]
        if missing:
            raise ValueError(f"{len(missing)} items of {name!r} have no entity id (e.g. {missing[0]!r}); KG models need "
                             "CRSLab's processed release, whose items are entities")
        return cls(id_map("entity2id"), id_map("word2id"), list(items["entity_id"]))

    @property
    def n_entity(self) -> int:
        return max(self.entity_ids.values()) + 1

    @property
    def n_word(self) -> int:
        return max(self.word_ids.values(), default=0) + 1

    def item_position(self) -> dict[int, int]:
        """Entity id -> position in the catalogue (the column of `rec_logits`)."""
        return {entity: position for position, entity in enumerate(self.item_entity_ids)}


def recommendation_examples(
    turns: datasets.Dataset, vocab: CRSVocabulary, roles: Sequence[str] = ("Recommender",)
) -> datasets.Dataset:
    """One example per (turn, gold item) for the turns of `roles` that recommend catalogue items.

    Columns: `context_entities` / `context_words` (ids; names absent from the maps are skipped, as CRSLab does),
    `context_item_positions` (catalogue positions of the items mentioned so far, for the metrics that exclude them),
    `rec_labels` (catalogue position of the gold item), plus `dialog_id` and `turn_id` to trace predictions.
    """
    positions = vocab.item_position()

    def expand(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list[Any]] = {key: [] for key in (
            "dialog_id", "turn_id", "context_entities", "context_words", "context_item_positions", "rec_labels")}
        for i in range(len(batch["dialog_id"])):
            if batch["role"][i] not in roles:
                continue
            entities = [vocab.entity_ids[n] for n in batch["context_entities"][i] if n in vocab.entity_ids]
            words = [vocab.word_ids[n] for n in batch["context_words"][i] if n in vocab.word_ids]
            mentioned = [positions[vocab.entity_ids[n]] for n in batch["context_items"][i]
                         if vocab.entity_ids.get(n) in positions]
            for item in batch["items"][i]:
                entity = vocab.entity_ids.get(item)
                if entity not in positions:
                    continue
                out["dialog_id"].append(batch["dialog_id"][i])
                out["turn_id"].append(batch["turn_id"][i])
                out["context_entities"].append(entities)
                out["context_words"].append(words)
                out["context_item_positions"].append(mentioned)
                out["rec_labels"].append(positions[entity])
        return out

    return turns.map(expand, batched=True, remove_columns=turns.column_names)


@dataclass
class RecommendationCollator:
    """Pads id lists with 0 (CRSLab's padding entity/word) and `context_item_positions` with -1.

    `max_entities` keeps the most recent entities and words; `entity_labels=True` adds the context entities again as
    `entity_labels`, the targets of KGSF's mutual-information pre-training.
    """

    max_entities: int | None = None
    entity_labels: bool = False

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        def pad(rows: list[list[int]], value: int) -> torch.Tensor:
            if self.max_entities:
                rows = [row[-self.max_entities :] for row in rows]
            return pad_id_lists(rows, value)

        batch = {
            "context_entities": pad([f["context_entities"] for f in features], 0),
            "context_words": pad([f["context_words"] for f in features], 0),
            "context_item_positions": pad([f["context_item_positions"] for f in features], -1),
            "rec_labels": torch.tensor([f["rec_labels"] for f in features], dtype=torch.long),
        }
        if self.entity_labels:
            batch["entity_labels"] = batch["context_entities"].clone()
        return batch


def conversation_examples(
    turns: datasets.Dataset,
    vocab: CRSVocabulary,
    tokenizer,
    roles: Sequence[str] = ("Recommender",),
    max_context_tokens: int = 256,
    max_response_tokens: int = 30,
    hierarchical: bool = False,
    max_utterances: int = 10,
    item_token: str | None = None,
    item_mention: str = r"@\d+",
) -> datasets.Dataset:
    """One example per turn of `roles` with a context, with the columns:

    - `input_ids`: the most recent `max_context_tokens` context tokens, each utterance followed by the end token;
      with `hierarchical=True` (ReDial's HRED) instead the last `max_utterances` utterances, one list of at most
      `max_context_tokens` tokens each;
    - `context_entities`, `context_words`: entity and word-graph ids (names absent from the maps are skipped);
    - `labels`: the response tokens + the end token, each item mention (a token matching `item_mention`, CRSLab's
      `@<movie id>`) replaced by `item_token` when given (ReDial's switching decoder generates that placeholder);
    - `dialog_id`, `turn_id`, to trace predictions.
    """
    eos = tokenizer.eos_token_id
    mention = re.compile(item_mention)
    item_id = None if item_token is None else tokenizer.convert_tokens_to_ids(item_token)
    if item_token is not None and item_id in (None, tokenizer.unk_token_id):
        raise ValueError(f"item_token {item_token!r} is not in the tokenizer's vocabulary")

    def tokens(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    def encode(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list[Any]] = {key: [] for key in (
            "dialog_id", "turn_id", "input_ids", "context_entities", "context_words", "labels")}
        for i in range(len(batch["dialog_id"])):
            if batch["role"][i] not in roles or not batch["context"][i]:
                continue
            if hierarchical:
                context = [tokens(u)[:max_context_tokens] for u in batch["context"][i][-max_utterances:]]
            else:
                context = [t for u in batch["context"][i] for t in tokens(u) + [eos]][-max_context_tokens:]
            response = batch["response"][i]
            if item_id is not None:
                response = " ".join(item_token if mention.fullmatch(w) else w for w in response.split())
            out["dialog_id"].append(batch["dialog_id"][i])
            out["turn_id"].append(batch["turn_id"][i])
            out["input_ids"].append(context)
            out["context_entities"].append(
                [vocab.entity_ids[n] for n in batch["context_entities"][i] if n in vocab.entity_ids])
            out["context_words"].append([vocab.word_ids[n] for n in batch["context_words"][i] if n in vocab.word_ids])
            out["labels"].append(tokens(response)[: max_response_tokens - 1] + [eos])
        return out

    return turns.map(encode, batched=True, remove_columns=turns.column_names)


def copyable_tokens(tokenizer, vocab: CRSVocabulary, item_mention: str = r"@\d+") -> torch.BoolTensor:
    """KGSF's copy mask, `(len(tokenizer),)`: True at the tokens the copy mechanism may score, the words of the
    word graph and the item mentions (KGSF's `mask4key` + `mask4movie`); built from this release's vocabularies
    instead of shipped as a `.npy` file, so it always matches the tokenizer."""
    mention = re.compile(item_mention)
    mask = torch.zeros(len(tokenizer), dtype=torch.bool)
    for token, token_id in tokenizer.get_vocab().items():
        mask[token_id] = token in vocab.word_ids or bool(mention.fullmatch(token))
    mask[list(tokenizer.all_special_ids)] = False
    return mask


@dataclass
class ConversationCollator:
    """Pads `input_ids` with the pad id (mask 0; a `(batch, utterances, tokens)` grid for hierarchical examples),
    `context_entities` / `context_words` with 0 and `labels` with -100."""

    pad_token_id: int

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        contexts = [f["input_ids"] for f in features]
        batch = {}
        if contexts and contexts[0] and isinstance(contexts[0][0], list):  # hierarchical
            rows = max(len(context) for context in contexts)
            width = max(1, max(len(utterance) for context in contexts for utterance in context))
            batch["input_ids"] = torch.full((len(contexts), rows, width), self.pad_token_id, dtype=torch.long)
            for i, context in enumerate(contexts):
                for j, utterance in enumerate(context):
                    batch["input_ids"][i, j, : len(utterance)] = torch.tensor(utterance, dtype=torch.long)
        else:
            batch["input_ids"] = pad_id_lists(contexts, self.pad_token_id)
            batch["attention_mask"] = (batch["input_ids"] != self.pad_token_id).long()
        batch["context_entities"] = pad_id_lists([f["context_entities"] for f in features], 0)
        batch["context_words"] = pad_id_lists([f["context_words"] for f in features], 0)
        batch["labels"] = pad_id_lists([f["labels"] for f in features], -100)
        return batch
