"""CRSLab-style `turns` records -> model inputs, for every model and stage.

`CRSVocabulary` holds the id maps of one dataset release (entity2id, word2id and the item catalogue), read from
the dataset's own id-map configs so that ids line up with CRSLab's. `recommendation_examples` turns each
recommendation turn into one example per gold item (CRSLab's protocol) or one per turn (KGSF's pre-training);
`conversation_examples` builds response-generation examples; `ContextEncoding` says how a context becomes tokens
(flat or one row per utterance, word-level or a backbone's subwords); `CRSCollator` pads whichever of the inputs
(see `crs_hf.models.contract`) the examples carry.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import datasets
import torch

from crs_hf.data.collate import pad_id_lists

__all__ = [
    "CRSCollator",
    "CRSVocabulary",
    "ContextEncoding",
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
        """Reads the `entity2id`, `word2id` and `items` configs of dataset `name` from its raw release."""
        from crs_hf.data.source import CRSDataSource

        return cls.from_source(CRSDataSource(name, None if data_dir is None else os.fspath(data_dir),
                                             cache_dir=cache_dir))

    @classmethod
    def from_source(cls, source) -> CRSVocabulary:
        """Reads the `entity2id`, `word2id` and `items` configs of a `CRSDataSource`."""

        def id_map(config: str) -> dict[str, int]:
            table = source.load(config)["train"]
            return dict(zip(table["name"], table["id"]))

        try:
            items = source.load("items")["train"]
        except ValueError as error:  # datasets refuses a config without rows: an empty item list
            if "corresponds to no data" not in str(error):
                raise
            return cls(id_map("entity2id"), id_map("word2id"), [])
        missing = [row["item_id"] for row in items if row["entity_id"] is None]
        if missing:
            raise ValueError(f"{len(missing)} items of {source.name!r} have no entity id (e.g. {missing[0]!r}); the "
                             "models need CRSLab's processed release, whose items are entities")
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



    def with_every_entity_as_candidate(self) -> CRSVocabulary:
        """The same maps with every entity a recommendation candidate, as CRSLab's KBRD and KGSF train: the
        catalogue first (so catalogue position p stays column p, and evaluation keeps to the first
        `len(item_entity_ids)` columns), then every other entity id but the padding entity 0 (CRSLab scores it too;
        it is never a gold item)."""
        catalogue = set(self.item_entity_ids)
        rest = [entity for entity in range(1, self.n_entity) if entity not in catalogue]
        return replace(self, item_entity_ids=[*self.item_entity_ids, *rest])

def end_token_id(tokenizer) -> int:
    """The token that ends an utterance or a response: the tokenizer's eos, else its sep (BERT-vocabulary GPT-2s)."""
    end = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
    if end is None:
        raise ValueError(f"{type(tokenizer).__name__} has neither an eos nor a sep token to end utterances with")
    return end


@dataclass(frozen=True)
class ContextEncoding:
    """How the dialog context becomes tokens (input kinds `context_tokens`, `context_utterances`,
    `context_subwords`).

    Args:
        tokenizer: the dataset's word-level tokenizer, or a pretrained backbone's (subwords).
        max_tokens: flat contexts keep their last `max_tokens` tokens (CRSLab's `context_truncate`, which keeps the
            tail); utterance grids keep the first `max_tokens` tokens of each utterance (`utterance_truncate`).
        hierarchical: one row per utterance (ReDial's HRED) instead of one flat sequence.
        max_utterances: grids keep at most this many utterances (CRSLab's `conversation_truncate`).
        keep_utterances: which of them: `"first"` (CRSLab's `truncate(..., truncate_tail=True)`) or `"last"`.
        utterance_separator: flat contexts: `"none"` joins the utterances' tokens (CRSLab's `merge_utt`), `"eos"`
            puts the end token (eos, else sep) after each utterance.
        special_tokens: wrap a flat context in the tokenizer's own special tokens (`[CLS] ... [SEP]` of a BERT).
    """

    tokenizer: Any
    max_tokens: int = 256
    hierarchical: bool = False
    max_utterances: int | None = None
    keep_utterances: str = "first"
    utterance_separator: str = "none"
    special_tokens: bool = False

    def __post_init__(self):
        if self.keep_utterances not in ("first", "last"):
            raise ValueError(f"keep_utterances must be 'first' or 'last', but got {self.keep_utterances!r}")
        if self.utterance_separator not in ("none", "eos"):
            raise ValueError(f"utterance_separator must be 'none' or 'eos', but got {self.utterance_separator!r}")

    def tokens(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def __call__(self, utterances: list[str]) -> list[int] | list[list[int]]:
        if self.hierarchical:
            if self.max_utterances is not None:
                utterances = (utterances[: self.max_utterances] if self.keep_utterances == "first"
                              else utterances[-self.max_utterances :])
            return [self.tokens(u)[: self.max_tokens] for u in utterances]
        separator = [end_token_id(self.tokenizer)] if self.utterance_separator == "eos" else []
        prefix, suffix = self._special_tokens() if self.special_tokens else ([], [])
        budget = self.max_tokens - len(prefix) - len(suffix)
        ids = [t for u in utterances for t in self.tokens(u) + separator][-budget:] if budget > 0 else []
        return prefix + ids + suffix

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """The ids the tokenizer puts before and after a text (BERT: `[CLS]` and `[SEP]`), read from how it encodes
        an empty text: a leading CLS/BOS id is the prefix, the rest the suffix."""
        specials = self.tokenizer("", add_special_tokens=True)["input_ids"]
        starts = {self.tokenizer.cls_token_id, self.tokenizer.bos_token_id} - {None}
        head = 1 if specials and specials[0] in starts else 0
        return specials[:head], specials[head:]


def _map_in_memory(turns: datasets.Dataset, function) -> datasets.Dataset:
    """`turns.map(function)` (batched, replacing every column) kept in memory under a fresh fingerprint. `datasets`
    would otherwise hash `function` to name a cache file, pickling the vocabulary and tokenizer it closes over
    (seconds per call on a real release); the examples are rebuilt each run instead, which takes less."""
    return turns.map(function, batched=True, remove_columns=turns.column_names, keep_in_memory=True,
                     new_fingerprint=uuid.uuid4().hex)


def _entity_ids(vocab: CRSVocabulary, names: list[str]) -> list[int]:
    return [vocab.entity_ids[n] for n in names if n in vocab.entity_ids]


def _word_ids(vocab: CRSVocabulary, names: list[str]) -> list[int]:
    return [vocab.word_ids[n] for n in names if n in vocab.word_ids]


def recommendation_examples(
    turns: datasets.Dataset,
    vocab: CRSVocabulary,
    roles: Sequence[str] = ("Recommender",),
    one_per_gold_item: bool = True,
    history: bool = False,
    context: ContextEncoding | None = None,
) -> datasets.Dataset:
    """Examples of the turns of `roles`: one per (turn, gold catalogue item), CRSLab's protocol for recommendation,
    or (`one_per_gold_item=False`) one per turn, as CRSLab's KGSF pre-training sees them (`rec_labels` -100).

    Columns: `context_entities` / `context_words` (ids; names absent from the maps are skipped, as CRSLab does),
    `context_item_positions` (catalogue positions of the items mentioned so far, in order), `rec_labels`
    (catalogue position of the gold item), `dialog_id` and `turn_id`; with `history=True`
    `history_item_positions` (the user's earlier interactions, from the turns' `interaction_history`); with a
    `context` encoding, `input_ids` (the context's tokens).
    """
    positions = vocab.item_position()
    if history and "interaction_history" not in turns.column_names:
        raise ValueError("history=True needs turns with an `interaction_history` column (e.g. TG-ReDial's)")
    columns = ["dialog_id", "turn_id", "context_entities", "context_words", "context_item_positions", "rec_labels"]
    columns += ["history_item_positions"] * history + ["input_ids"] * (context is not None)

    def item_positions(names: list[str]) -> list[int]:
        return [positions[vocab.entity_ids[n]] for n in names if vocab.entity_ids.get(n) in positions]

    def expand(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list[Any]] = {key: [] for key in columns}
        for i in range(len(batch["dialog_id"])):
            if batch["role"][i] not in roles:
                continue
            row = {
                "dialog_id": batch["dialog_id"][i],
                "turn_id": batch["turn_id"][i],
                "context_entities": _entity_ids(vocab, batch["context_entities"][i]),
                "context_words": _word_ids(vocab, batch["context_words"][i]),
                "context_item_positions": item_positions(batch["context_items"][i]),
            }
            if history:
                row["history_item_positions"] = item_positions(batch["interaction_history"][i])
            if context is not None:
                row["input_ids"] = context(batch["context"][i])
            for label in item_positions(batch["items"][i]) if one_per_gold_item else [-100]:
                for key, value in row.items():
                    out[key].append(value)
                out["rec_labels"].append(label)
        return out

    return _map_in_memory(turns, expand)


TITLE_SUFFIX = re.compile(r"\s*[（(][^（(）)]*[）)]\s*$")  # a trailing `(1983 film)` / `（2019）`


def conversation_examples(
    turns: datasets.Dataset,
    vocab: CRSVocabulary,
    context: ContextEncoding,
    roles: Sequence[str] = ("Recommender",),
    max_response_tokens: int = 30,
    item_token: str | None = None,
    item_mention: str | None = r"@\d+",
    response_items: bool = False,
    response_roles: Sequence[str] | None = None,
) -> datasets.Dataset:
    """One example per turn of `roles` with a context, with the columns:

    - `input_ids`: the context encoded by `context` (a flat list, or one list per utterance);
    - `context_entities`, `context_words`: entity and word-graph ids (names absent from the maps are skipped);
    - `labels`: the response in `context`'s tokenizer + its end token (`eos`, else `sep`), at most
      `max_response_tokens` counting the start token the decoder is fed (CRSLab's `response_truncate`), each item
      mention replaced by `item_token` when given (a switching or template decoder generates that placeholder): a
      whitespace token matching `item_mention` (ReDial's `@<movie id>`) or, for a dataset whose responses name
      items by title (`item_mention=None`), each of the turn's item names found in the response, longest first,
      also without a trailing parenthesised part (TG-ReDial's items are `title（year）`, its responses `《 title 》`);
    - with `response_items=True`, `response_item_positions`: the catalogue position of the item at each
      placeholder left in `labels`, in order; -100 for every slot of a turn whose mentions cannot be matched to its
      items one to one (ReDial mentions movies that are not in the KG) or whose item is not in the catalogue;
    - with `response_roles` (the recommender roles), `response_roles`: 1 for a turn of those roles, else 0;
    - `dialog_id`, `turn_id`, to trace predictions.
    """
    tokenizer = context.tokenizer
    end_id = end_token_id(tokenizer)
    item_id = None if item_token is None else tokenizer.convert_tokens_to_ids(item_token)
    if item_token is not None and item_id in (None, tokenizer.unk_token_id):
        raise ValueError(f"item_token {item_token!r} is not in the tokenizer's vocabulary")
    if response_items and item_token is None:
        raise ValueError("response_items needs an item_token: the positions are those of its placeholders")
    mention = None if item_mention is None else re.compile(item_mention)
    positions = vocab.item_position()
    columns = ["dialog_id", "turn_id", "input_ids", "context_entities", "context_words", "labels"]
    columns += ["response_item_positions"] * response_items + ["response_roles"] * (response_roles is not None)

    def templated(response: str, items: list[str]) -> tuple[str, list[str] | None]:
        """The response with item mentions replaced by the placeholder, and the items of its slots in order
        (`None` where they cannot be told)."""
        if mention is not None:
            words = response.split()
            n_slots = sum(bool(mention.fullmatch(w)) for w in words)
            text = " ".join(item_token if mention.fullmatch(w) else w for w in words)
            return text, items if n_slots == len(items) else None
        spellings = {}  # how a response may write an item -> the item
        for name in items:
            if name:
                spellings.setdefault(name, name)
                spellings.setdefault(TITLE_SUFFIX.sub("", name), name)  # TG-ReDial's `title（year）` as `title`
        spellings.pop("", None)
        if not spellings:
            return response, []
        pattern = re.compile("|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True)))
        found = [spellings[m.group(0)] for m in pattern.finditer(response)]
        return pattern.sub(f" {item_token} ", response), found

    def encode(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list[Any]] = {key: [] for key in columns}
        for i in range(len(batch["dialog_id"])):
            if batch["role"][i] not in roles or not batch["context"][i]:
                continue
            response, slot_items = batch["response"][i], []
            if item_id is not None:
                response, slot_items = templated(response, batch["items"][i])
            labels = context.tokens(response)[: max(max_response_tokens - 2, 0)] + [end_id]
            out["dialog_id"].append(batch["dialog_id"][i])
            out["turn_id"].append(batch["turn_id"][i])
            out["input_ids"].append(context(batch["context"][i]))
            out["context_entities"].append(_entity_ids(vocab, batch["context_entities"][i]))
            out["context_words"].append(_word_ids(vocab, batch["context_words"][i]))
            out["labels"].append(labels)
            if response_items:
                n_slots = labels.count(item_id)  # truncation may have cut some
                if slot_items is None:
                    slots = [-100] * n_slots
                else:
                    slots = [positions.get(vocab.entity_ids.get(n, -1), -100) for n in slot_items][:n_slots]
                out["response_item_positions"].append(slots)
            if response_roles is not None:
                out["response_roles"].append(int(batch["role"][i] in response_roles))
        return out

    return _map_in_memory(turns, encode)


def copyable_tokens(tokenizer, vocab: CRSVocabulary, item_mention: str | None = r"@\d+") -> torch.BoolTensor:
    """KGSF's copy mask, `(len(tokenizer),)`: True at the tokens the copy mechanism may score, the words of the
    word graph and the item mentions (KGSF's `mask4key` + `mask4movie`); built from this release's vocabularies
    instead of shipped as a `.npy` file, so it always matches the tokenizer."""
    mention = re.compile(item_mention or r"(?!)")  # None: the dataset's texts mark no item mentions
    mask = torch.zeros(len(tokenizer), dtype=torch.bool)
    for token, token_id in tokenizer.get_vocab().items():
        mask[token_id] = token in vocab.word_ids or bool(mention.fullmatch(token))
    mask[list(tokenizer.all_special_ids)] = False
    return mask




@dataclass
class CRSCollator:
    """Pads whichever model inputs the examples carry, so one collator serves every model and stage:
    `context_entities` / `context_words` with 0 (CRSLab's padding entity/word), `context_item_positions` /
    `history_item_positions` / `response_item_positions` with -1, `response_roles` as they are, `input_ids` with `pad_token_id` (plus `attention_mask`; a
    `(batch, utterances, tokens)` grid without a mask for utterance lists), `labels` with -100.

    `max_entities` keeps the most recent N entities and words (CRSLab's `entity_truncate` / `word_truncate`);
    `entity_labels=True` adds the context entities again as `entity_labels`, the targets of KGSF's
    mutual-information pre-training.
    """

    pad_token_id: int = 0
    max_entities: int | None = None
    entity_labels: bool = False

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        first, batch = features[0], {}
        for key in ("context_entities", "context_words"):
            if key in first:
                rows = [f[key] for f in features]
                batch[key] = pad_id_lists([row[-self.max_entities :] for row in rows] if self.max_entities else rows, 0)
        for key in ("context_item_positions", "history_item_positions", "response_item_positions"):
            if key in first:
                batch[key] = pad_id_lists([f[key] for f in features], -1)
        if "input_ids" in first:
            contexts = [f["input_ids"] for f in features]
            if any(context and isinstance(context[0], list) for context in contexts):  # one row per utterance
                rows = max(1, max(len(context) for context in contexts))
                width = max(1, max((len(u) for context in contexts for u in context), default=1))
                batch["input_ids"] = torch.full((len(contexts), rows, width), self.pad_token_id, dtype=torch.long)
                for i, context in enumerate(contexts):
                    for j, utterance in enumerate(context):
                        batch["input_ids"][i, j, : len(utterance)] = torch.tensor(utterance, dtype=torch.long)
            else:
                batch["input_ids"] = pad_id_lists(contexts, self.pad_token_id)
                lengths = torch.tensor([len(context) for context in contexts])
                batch["attention_mask"] = (torch.arange(batch["input_ids"].shape[1]) < lengths[:, None]).long()
        if "response_roles" in first:
            batch["response_roles"] = torch.tensor([f["response_roles"] for f in features], dtype=torch.long)
        if "rec_labels" in first:
            batch["rec_labels"] = torch.tensor([f["rec_labels"] for f in features], dtype=torch.long)
        if "labels" in first:
            batch["labels"] = pad_id_lists([f["labels"] for f in features], -100)
        if self.entity_labels:
            batch["entity_labels"] = batch["context_entities"].clone()
        return batch
