"""Reading CRSLab's processed release of a dataset (the folder its `<dataset>_<tokenizer>.zip` extracts to).

The file formats are those CRSLab's loaders open (`crslab/data/dataset/<name>/<name>.py`):

- `{train,valid,test}_data.json`: a JSON array of conversations, each `{"dialog": [utterance, ...]}` (TG-ReDial:
  `{"conv_id", "user_id", "messages": [...]}`); an utterance has `role`, `text` (a list of tokens), its items
  (`movies`, `movie` or `item`: entity names), `entity` and `word` (entity / word-KG names), plus dataset extras.
- `token2id.json`, `entity2id.json`, `word2id.json` (ReDial: `concept2id.json`), TG-ReDial's `topic2id.json`:
  `{name: id}` tables.
- The entity KG: ReDial's `dbpedia_subkg.json` is KGSF's adjacency `{"<head id>": [[relation id, tail id], ...]}`;
  the others are `head<TAB>relation<TAB>tail` text files with entity names.
- The word KG: `word<TAB>relation<TAB>word`, except ReDial's `conceptnet_subkg.txt`:
  `relation<TAB>head/pos<TAB>tail/pos`, whose ends CRSLab cuts at the first "/".
- `movie_ids.json` / `item_ids.json`: a JSON array of the entity ids of recommendable items.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import datasets

from crs_hf.data.conversation import Conversation, NameIndex, Utterance
from crs_hf.data.readers import describe_type, iter_json_array, iter_tsv, read_json, require_field, require_str_list
from crs_hf.errors import CRSDataError

__all__ = ["CRSLAB_SPLIT_FILES", "CRSLabFolder", "CRSLabLayout", "readable_entity_name"]

logger = datasets.logging.get_logger(__name__)

# CRSLab's split files, by split stem.
CRSLAB_SPLIT_FILES = {"train": "train_data.json", "valid": "valid_data.json", "test": "test_data.json"}
_DBPEDIA_URI = re.compile(r"^<http://dbpedia\.org/resource/(.+)>$")


@dataclass(frozen=True)
class CRSLabLayout:
    """Which files and keys one dataset's CRSLab release uses.

    Args:
        item_field: the utterance key holding its items (`"movies"`, `"movie"` or `"item"`).
        entity_kg: the entity-KG file: a `.json` adjacency (ReDial) or a `head<TAB>relation<TAB>tail` `.txt`.
        word_kg: the word-KG file.
        item_list: the JSON array of item entity ids.
        word_map: the word-KG name -> id table.
        dialog_field: the conversation key holding the utterances.
        word_kg_relation_first: the word KG is `relation<TAB>head/pos<TAB>tail/pos` (KGSF's ConceptNet format).
        extra_id_maps: id-map configs besides entity2id / word2id / token2id, as `(config, file)` pairs.
        turn_files: side files the `turns` config reads besides entity2id, the word map and the item list.
    """

    item_field: str
    entity_kg: str
    word_kg: str
    item_list: str = "movie_ids.json"
    word_map: str = "word2id.json"
    dialog_field: str = "dialog"
    word_kg_relation_first: bool = False
    extra_id_maps: tuple[tuple[str, str], ...] = ()
    turn_files: tuple[str, ...] = ()

    @property
    def id_maps(self) -> dict[str, str]:
        return {"entity2id": "entity2id.json", "word2id": self.word_map, "token2id": "token2id.json",
                **dict(self.extra_id_maps)}

    def files_for(self, kind: str) -> list[str]:
        """The side files (not the split files) that the config `kind` reads."""
        if kind == "turns":
            return ["entity2id.json", self.word_map, self.item_list, *self.turn_files]
        if kind == "entity_kg":
            return [self.entity_kg, "entity2id.json"] if self.entity_kg.endswith(".json") else [self.entity_kg]
        if kind == "word_kg":
            return [self.word_kg]
        if kind == "items":
            return [self.item_list, "entity2id.json"]
        if kind in self.id_maps:
            return [self.id_maps[kind]]
        return []


def readable_entity_name(name: str) -> str:
    """A display name for an entity: DBpedia URIs become their title (`<http://dbpedia.org/resource/Man_on_Wire>`
    -> `Man on Wire`); other names are already readable."""
    match = _DBPEDIA_URI.match(name)
    return urllib.parse.unquote(match.group(1)).replace("_", " ") if match else name


def read_id_map(path: str) -> dict[str, int]:
    """A `{name: id}` table with non-negative integer ids."""
    table = read_json(path, dict)
    for name, index in table.items():
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise CRSDataError(path, None, repr(name), f"expected a non-negative integer id, got {index!r}")
    return table


class CRSLabFolder:
    """One extracted CRSLab release; side files are read once, when first needed."""

    def __init__(self, folder: str, layout: CRSLabLayout):
        self.folder = folder
        self.layout = layout
        self._files: dict[str, Any] = {}

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def split_files(self) -> dict[str, str]:
        """`{split stem: path}` for the split files present."""
        return {stem: self.path(name) for stem, name in CRSLAB_SPLIT_FILES.items() if os.path.isfile(self.path(name))}

    def id_map(self, config: str) -> dict[str, int]:
        return self._id_map(self.layout.id_maps[config])

    def _id_map(self, file: str) -> dict[str, int]:
        if file not in self._files:
            self._files[file] = read_id_map(self.path(file))
        return self._files[file]

    @cached_property
    def id2entity(self) -> dict[int, str]:
        return {index: name for name, index in self.id_map("entity2id").items()}

    @cached_property
    def item_ids(self) -> list[int]:
        path = self.path(self.layout.item_list)
        ids = read_json(path, list)
        for number, value in enumerate(ids, start=1):
            if not isinstance(value, int) or isinstance(value, bool):
                raise CRSDataError(path, number, None, f"expected an entity id (int), got {describe_type(value)}")
            if value not in self.id2entity:
                raise CRSDataError(path, number, None, f"item entity id {value} is not an id in entity2id.json")
        return ids

    def json(self, file: str, expected: type) -> Any:
        """A side file of the release (e.g. TG-ReDial's `user2profile.json`), read once."""
        if file not in self._files:
            self._files[file] = read_json(self.path(file), expected)
        return self._files[file]

    def names(self) -> NameIndex:
        """The id maps `turns` keeps names by: entities, words (and topics), and the item list."""
        maps = {"entity": (self.id_map("entity2id"), "entity2id.json"),
                "word": (self.id_map("word2id"), self.layout.word_map)}
        if "topic2id" in self.layout.id_maps:
            maps["topic"] = (self.id_map("topic2id"), self.layout.id_maps["topic2id"])
        listed = set(self.item_ids)
        items = {name for name, index in self.id_map("entity2id").items() if index in listed}
        return NameIndex(maps, (items, self.layout.item_list))

    def conversations(self, path: str, stem: str) -> Iterator[Conversation]:
        """The conversations of one split file; dialog ids are `conv_id` where given, else `<stem>-<index>`."""
        dialog_field, item_field = self.layout.dialog_field, self.layout.item_field
        consumed = {"role", "text", item_field, "entity", "word"}
        for number, record in iter_json_array(path):
            dialog = require_field(record, dialog_field, list, path, number)
            utterances = []
            for index, raw in enumerate(dialog):
                prefix = f"{dialog_field}[{index}]."
                if not isinstance(raw, dict):
                    raise CRSDataError(path, number, prefix[:-1], f"expected a JSON object, got {describe_type(raw)}")
                utterances.append(
                    Utterance(
                        role=require_field(raw, "role", str, path, number, prefix),
                        text=" ".join(require_str_list(raw, "text", path, number, prefix)),
                        items=require_str_list(raw, item_field, path, number, prefix),
                        entities=require_str_list(raw, "entity", path, number, prefix),
                        words=require_str_list(raw, "word", path, number, prefix),
                        metadata={key: value for key, value in raw.items() if key not in consumed},
                        location=(number, prefix),
                    )
                )
            dialog_id = str(record["conv_id"]) if "conv_id" in record else f"{stem}-{number - 1}"
            metadata = {key: value for key, value in record.items() if key not in (dialog_field, "conv_id")}
            yield Conversation(dialog_id, utterances, metadata, path)

    # ---- side configs ---------------------------------------------------------------------------------------

    def side_records(self, kind: str) -> Iterator[dict[str, Any]]:
        if kind == "entity_kg":
            yield from self.entity_kg()
        elif kind == "word_kg":
            yield from self.word_kg()
        elif kind == "items":
            yield from self.items()
        else:
            for name, index in self.id_map(kind).items():
                yield {"name": name, "id": index}

    def entity_kg(self) -> Iterator[dict[str, str]]:
        """The entity KG as (head, relation, tail) names; ReDial's id adjacency in ascending head id order, as
        CRSLab walks it, relation ids as strings (KGSF released no relation names)."""
        path = self.path(self.layout.entity_kg)
        if not path.endswith(".json"):
            for _, (head, relation, tail) in iter_tsv(path, 3):
                yield {"head": head, "relation": relation, "tail": tail}
            return
        adjacency = read_json(path, dict)
        heads = []
        for key, edges in adjacency.items():
            if not key.isdigit():
                raise CRSDataError(path, None, repr(key), "expected an entity id (digits) as key")
            if not isinstance(edges, list):
                reason = f"expected a list of [relation, tail], got {describe_type(edges)}"
                raise CRSDataError(path, None, repr(key), reason)
            heads.append((int(key), key))
        names, missing = self.id2entity, set()
        for head, key in sorted(heads):
            for index, edge in enumerate(adjacency[key]):
                if not (isinstance(edge, list) and len(edge) == 2 and all(type(part) is int for part in edge)):
                    reason = f"expected [relation id, tail id], got {edge!r}"
                    raise CRSDataError(path, None, f"{key!r}[{index}]", reason)
                relation, tail = edge
                if head not in names or tail not in names:
                    missing.update(i for i in (head, tail) if i not in names)
                    continue
                yield {"head": names[head], "relation": str(relation), "tail": names[tail]}
        if missing:
            logger.warning("%s: dropped the edges of %d entity ids that entity2id.json does not name, e.g. %s",
                           os.path.basename(path), len(missing), sorted(missing)[:3])

    def word_kg(self) -> Iterator[dict[str, str]]:
        """The word KG as (head, relation, tail); KGSF's ConceptNet ends lose their "/pos" suffix, as in CRSLab."""
        for _, fields in iter_tsv(self.path(self.layout.word_kg), 3):
            if self.layout.word_kg_relation_first:
                relation, head, tail = fields
                yield {"head": head.split("/")[0], "relation": relation, "tail": tail.split("/")[0]}
            else:
                head, relation, tail = fields
                yield {"head": head, "relation": relation, "tail": tail}

    def items(self) -> Iterator[dict[str, Any]]:
        """One record per item of the item list: its entity name (how `turns` names it), title and entity id."""
        for entity_id in self.item_ids:
            name = self.id2entity[entity_id]
            yield {"item_id": name, "name": readable_entity_name(name), "entity_id": entity_id, "metadata": None}
