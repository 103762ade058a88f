"""CRSLab-style `turns` records -> model inputs for the knowledge-graph CRS models (KBRD, KGSF, ReDial).

`CRSVocabulary` holds the id maps of one dataset release (entity2id, word2id and the item catalogue), read from
the dataset's own id-map configs so that ids line up with CRSLab's. `recommendation_examples` turns each
recommendation turn into one example per gold item, CRSLab's protocol, and `RecommendationCollator` pads them;
`conversation_examples` / `ConversationCollator` do the same for response generation.
"""

from __future__ import annotations

import os
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
    """Pads id lists with 0 (CRSLab's padding entity/word) and `context_item_positions` with -1."""

    max_entities: int | None = None  # keep the most recent ones

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        def pad(rows: list[list[int]], value: int) -> torch.Tensor:
            if self.max_entities:
                rows = [row[-self.max_entities :] for row in rows]
            return pad_id_lists(rows, value)

        return {
            "context_entities": pad([f["context_entities"] for f in features], 0),
            "context_words": pad([f["context_words"] for f in features], 0),
            "context_item_positions": pad([f["context_item_positions"] for f in features], -1),
            "rec_labels": torch.tensor([f["rec_labels"] for f in features], dtype=torch.long),
        }


def conversation_examples(
    turns: datasets.Dataset,
    vocab: CRSVocabulary,
    tokenizer,
    roles: Sequence[str] = ("Recommender",),
    max_context_tokens: int = 256,
    max_response_tokens: int = 30,
) -> datasets.Dataset:
    """One example per turn of `roles`: `input_ids` (the most recent `max_context_tokens` context tokens, utterances
    separated by the end token), `context_entities` (ids) and `labels` (response tokens + end token), plus
    `dialog_id` / `turn_id` to trace predictions."""
    eos = tokenizer.eos_token_id

    def encode(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list[Any]] = {key: [] for key in ("dialog_id", "turn_id", "input_ids", "context_entities", "labels")}
        for i in range(len(batch["dialog_id"])):
            if batch["role"][i] not in roles or not batch["context"][i]:
                continue
            context: list[int] = []
            for utterance in batch["context"][i]:
                context += tokenizer(utterance, add_special_tokens=False)["input_ids"] + [eos]
            response = tokenizer(batch["response"][i], add_special_tokens=False)["input_ids"][: max_response_tokens - 1]
            out["dialog_id"].append(batch["dialog_id"][i])
            out["turn_id"].append(batch["turn_id"][i])
            out["input_ids"].append(context[-max_context_tokens:])
            out["context_entities"].append(
                [vocab.entity_ids[n] for n in batch["context_entities"][i] if n in vocab.entity_ids])
            out["labels"].append(response + [eos])
        return out

    return turns.map(encode, batched=True, remove_columns=turns.column_names)


@dataclass
class ConversationCollator:
    """Pads `input_ids` with the pad id (mask 0), `context_entities` with 0 and `labels` with -100."""

    pad_token_id: int

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        input_ids = pad_id_lists([f["input_ids"] for f in features], self.pad_token_id)
        return {
            "input_ids": input_ids,
            "attention_mask": (input_ids != self.pad_token_id).long(),
            "context_entities": pad_id_lists([f["context_entities"] for f in features], 0),
            "labels": pad_id_lists([f["labels"] for f in features], -100),
        }
