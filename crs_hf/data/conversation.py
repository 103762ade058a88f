"""Conversations as every CRS release holds them, and the one function that turns them into training records.

CRSLab's six loaders each re-implemented the same steps with small differences (and dropped unknown entities
without a word). Here they are written once:

1. `Conversation` / `Utterance`: a dialog as released, roles normalised to ``Seeker`` / ``Recommender``, text as
   one string (CRSLab's token lists joined by single spaces, original releases as written).
2. `NameIndex`: the release's id maps. Entity / word / topic names absent from them are dropped, as CRSLab does,
   but counted and reported in one warning per file; a gold item that is not in the item list is an error.
3. `build_turns`: CRSLab's sample construction: one record per utterance after the first, with every earlier
   utterance as context, context entities / words / items deduplicated in order of appearance (items count as
   entities), and consecutive same-role utterances merged (ReDial, OpenDialKG, INSPIRED) or strict alternation
   required (TG-ReDial, GoRecDial, DuRecDial).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import datasets

from crs_hf.errors import CRSDataError

__all__ = [
    "DIALOG_FEATURES",
    "ID_MAP_FEATURES",
    "ITEM_FEATURES",
    "KG_FEATURES",
    "ROLES",
    "TURN_FEATURES",
    "Conversation",
    "NameIndex",
    "Utterance",
    "build_turns",
    "dialog_record",
    "merge_same_role",
]

logger = datasets.logging.get_logger(__name__)

SEEKER, RECOMMENDER = "Seeker", "Recommender"
ROLES = (SEEKER, RECOMMENDER)

_STRINGS = datasets.List(datasets.Value("string"))
TURN_FEATURES = datasets.Features(
    {
        "dialog_id": datasets.Value("string"),
        "turn_id": datasets.Value("int32"),
        "role": datasets.Value("string"),
        "context": _STRINGS,
        "response": datasets.Value("string"),
        "context_entities": _STRINGS,
        "context_words": _STRINGS,
        "context_items": _STRINGS,
        "items": _STRINGS,
    }
)
DIALOG_FEATURES = datasets.Features(
    {
        "dialog_id": datasets.Value("string"),
        "utterances": datasets.List(
            {
                "role": datasets.Value("string"),
                "text": datasets.Value("string"),
                "items": _STRINGS,
                "entities": _STRINGS,
                "words": _STRINGS,
                "metadata": datasets.Json(),
            }
        ),
        "metadata": datasets.Json(),
    }
)
KG_FEATURES = datasets.Features(
    {"head": datasets.Value("string"), "relation": datasets.Value("string"), "tail": datasets.Value("string")}
)
ITEM_FEATURES = datasets.Features(
    {
        "item_id": datasets.Value("string"),
        "name": datasets.Value("string"),
        "entity_id": datasets.Value("int32"),
        "metadata": datasets.Json(),
    }
)
ID_MAP_FEATURES = datasets.Features({"name": datasets.Value("string"), "id": datasets.Value("int32")})


@dataclass
class Utterance:
    """One utterance as released.

    `items` / `entities` / `words` are the names the release annotates (CRSLab: entity and word-KG names; the
    original ReDial: movie ids); `metadata` keeps every other field of the utterance for the `dialogs` config.
    `location` is `(line or record number, field prefix)` for error messages, e.g. `(3, "dialog[4].")`.
    """

    role: str
    text: str
    items: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    location: tuple[int | None, str] = (None, "")


@dataclass
class Conversation:
    """A dialog as released: its id, utterances in order, the dialog-level fields it carries, and its file."""

    dialog_id: str
    utterances: list[Utterance]
    metadata: dict[str, Any] = field(default_factory=dict)
    path: str = ""


def dialog_record(conversation: Conversation) -> dict[str, Any]:
    """The `dialogs` record: the conversation as released (no merging, no name filtering)."""
    return {
        "dialog_id": conversation.dialog_id,
        "utterances": [
            {"role": u.role, "text": u.text, "items": u.items, "entities": u.entities, "words": u.words,
             "metadata": u.metadata}
            for u in conversation.utterances
        ],
        "metadata": conversation.metadata,
    }


@dataclass
class _Tally:
    source: str
    total: int = 0
    unknown: int = 0
    examples: list[Any] = field(default_factory=list)


class NameIndex:
    """A release's name -> id maps, used to keep only the names a model can look up.

    Args:
        maps: per kind (`"entity"`, `"word"`, `"topic"`, ...), the names the release gives an id, with the file
            that defines them, e.g. `{"entity": (entity2id, "entity2id.json")}`. A kind without a map keeps all names.
        items: the names of recommendable items, with the file that lists them (`movie_ids.json`,
            `movies_with_mentions.csv`), or `None` if the release has no item list.
    """

    def __init__(
        self,
        maps: Mapping[str, tuple[Collection[str], str]] | None = None,
        items: tuple[Collection[str], str] | None = None,
    ):
        self.maps = dict(maps or {})
        self.items = items
        self.tallies: dict[str, _Tally] = {}

    def known(self, kind: str, names: Iterable[str]) -> list[str]:
        """The names of `kind` that have an id, in order; the others are counted for `report`."""
        if kind not in self.maps:
            return list(names)
        table, source = self.maps[kind]
        return [name for name in names if self._count(kind, name, name in table, source)]

    def lookup(self, kind: str, keys: Iterable[Any], table: Mapping[Any, str], source: str) -> list[str]:
        """`table[key]` for each key that `table` (read from `source`) has; the others are counted for `report`."""
        return [table[key] for key in keys if self._count(kind, key, key in table, source)]

    def _count(self, kind: str, key: Any, found: bool, source: str) -> bool:
        tally = self.tallies.setdefault(kind, _Tally(source=source))
        tally.total += 1
        if not found:
            tally.unknown += 1
            if len(tally.examples) < 3 and key not in tally.examples:
                tally.examples.append(key)
        return found

    def gold_items(self, names: Iterable[str], path: str, line: int | None, field_name: str) -> list[str]:
        """Items of one utterance: names unknown to the entity map are dropped (and counted as `item` mentions);
        a name that is known but not in the item list stops the build, since a model could never rank it."""
        names = list(names)
        if "entity" in self.maps:
            table, source = self.maps["entity"]
            names = [name for name in names if self._count("item", name, name in table, source)]
        if self.items is not None:
            listed, source = self.items
            for name in names:
                if name not in listed:
                    raise CRSDataError(path, line, field_name, f"gold item {name!r} is not in the item list {source}")
        return names

    def report(self, path: str) -> None:
        """Logs one warning for `path` with the counts of names dropped since the last report, then resets them."""
        parts = [
            f"{t.unknown:,} of {t.total:,} {kind} mentions (not in {t.source}; e.g. "
            + ", ".join(repr(e) for e in t.examples) + ")"
            for kind, t in self.tallies.items()
            if t.unknown
        ]
        if parts:
            logger.warning(
                "%s: dropped names that have no id, as CRSLab does: %s", os.path.basename(path), "; ".join(parts)
            )
        self.tallies.clear()


def check_roles(conversation: Conversation, alternate: bool) -> None:
    """Every role must be Seeker or Recommender, and, where the dataset requires it, strictly alternate."""
    previous = None
    for utterance in conversation.utterances:
        line, prefix = utterance.location
        if utterance.role not in ROLES:
            raise CRSDataError(conversation.path, line, f"{prefix}role",
                               f"expected one of {ROLES}, got {utterance.role!r}")
        if alternate and utterance.role == previous:
            raise CRSDataError(
                conversation.path, line, f"{prefix}role",
                f"two {utterance.role} utterances in a row: this dataset's speakers strictly alternate",
            )
        previous = utterance.role


def merge_same_role(utterances: list[Utterance]) -> list[Utterance]:
    """Joins runs of utterances by the same speaker into one (text joined by a space, annotations concatenated)."""
    merged: list[Utterance] = []
    for utterance in utterances:
        if merged and merged[-1].role == utterance.role:
            last = merged[-1]
            merged[-1] = replace(
                last,
                text=f"{last.text} {utterance.text}" if last.text and utterance.text else last.text or utterance.text,
                items=last.items + utterance.items,
                entities=last.entities + utterance.entities,
                words=last.words + utterance.words,
            )
        else:
            merged.append(utterance)
    return merged


def _with_known_names(conversation: Conversation, names: NameIndex, item_field: str) -> list[Utterance]:
    out = []
    for utterance in conversation.utterances:
        line, prefix = utterance.location
        out.append(
            replace(
                utterance,
                items=names.gold_items(utterance.items, conversation.path, line, prefix + item_field),
                entities=names.known("entity", utterance.entities),
                words=names.known("word", utterance.words),
            )
        )
    return out


class _Seen:
    """A list without repeats, in order of first appearance (CRSLab's context entity / word lists)."""

    def __init__(self):
        self.order: list[str] = []
        self._set: set[str] = set()

    def extend(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self._set:
                self._set.add(name)
                self.order.append(name)


# Dataset-specific record fields: one dict per utterance, for the record whose response it is.
TurnExtras = Callable[[Conversation, list[Utterance]], list[dict[str, Any]]]


def build_turns(
    conversation: Conversation,
    *,
    merge: bool,
    names: NameIndex,
    item_field: str = "items",
    skip_empty: bool = False,
    extras: TurnExtras | None = None,
) -> Iterator[dict[str, Any]]:
    """Yields the `turns` records of one conversation, CRSLab's way (see the module docstring).

    Args:
        merge: merge consecutive same-role utterances; if False, roles must strictly alternate.
        names: the release's id maps; unknown names are dropped and counted, unlisted gold items raise.
        item_field: the release's name for an utterance's items, for error messages (`movies`, `item`, ...).
        skip_empty: leave out utterances without text after the role check (CRSLab's GoRecDial loader does).
        extras: computes the dataset-specific fields, one dict per (merged) utterance, once per conversation.

    Raises:
        CRSDataError: a role is neither Seeker nor Recommender, roles do not alternate where they must, or a gold
            item is missing from the item list.
    """
    check_roles(conversation, alternate=not merge)
    utterances = _with_known_names(conversation, names, item_field)
    if skip_empty:
        utterances = [u for u in utterances if u.text.strip()]
    if merge:
        utterances = merge_same_role(utterances)
    fields = extras(conversation, utterances) if extras is not None else None
    entities, words, items = _Seen(), _Seen(), _Seen()
    for index, utterance in enumerate(utterances):
        if index > 0:
            record = {
                "dialog_id": conversation.dialog_id,
                "turn_id": index,
                "role": utterance.role,
                "context": [u.text for u in utterances[:index]],
                "response": utterance.text,
                "context_entities": list(entities.order),
                "context_words": list(words.order),
                "context_items": list(items.order),
                "items": utterance.items,
            }
            if fields is not None:
                record.update(fields[index])
            yield record
        entities.extend(utterance.entities + utterance.items)
        words.extend(utterance.words)
        items.extend(utterance.items)
