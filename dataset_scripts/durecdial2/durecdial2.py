"""DuRecDial 2.0: a bilingual (English/Chinese) parallel corpus for conversational recommendation.

Builds the five tasks of the DuRecDial 2.0 paper (Liu et al., EMNLP 2021, §5) from the official raw files
`{en,zh}_{train,dev,test}.txt` (one dialog per JSON line, the EN and ZH files aligned line by line):

==========  ===========================  ===============================================
config      paper task                   record = one bot utterance
==========  ===========================  ===============================================
`en`        1: (Xen, Gen, Ken -> Yen)    English context, English response
`zh`        2: (Xzh, Gzh, Kzh -> Yzh)    Chinese context, Chinese response
`multi`     3: tasks 1 and 2 mixed       the records of `en` followed, per dialog, by those of `zh`
`zh-en`     4: (Xzh, Gen, Ken -> Yen)    Chinese context, English goal/knowledge/response
`en-zh`     5: (Xen, Gzh, Kzh -> Yzh)    English context, Chinese goal/knowledge/response
==========  ===========================  ===============================================

Side configs: `dialogs-en` / `dialogs-zh` (one record per dialog) and `entity_kg-en` / `entity_kg-zh` (every
knowledge triple of the given files once, in order of first appearance, in a single `train` split).

Who speaks when: the bot opens the dialog when its first goal is Greetings / 寒暄, otherwise the user does
(checked on the real files: a Greetings dialog opens with the bot greeting the user by name), and the two
strictly alternate. "[n]" at the start of an utterance marks the start of goal n: it is stripped from the text and
kept as `goal_switch`. English knowledge is one flat [s, r, o] triple (or []) per utterance, Chinese knowledge a
list of triples; both are normalised to a list of triples. Chinese text stays word-segmented as released.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import datasets
from datasets.builder import Key

from crs_hf.citations import DURECDIAL2
from crs_hf.data.readers import describe_type, iter_jsonl, require_field
from crs_hf.errors import CRSDataError

logger = datasets.logging.get_logger(__name__)

_HOMEPAGE = "https://github.com/liuzeming01/DuRecDial"
# The official release: data.zip in the authors' repository, holding {en,zh}_{train,dev,test}.txt.
DOWNLOAD_URL = "https://github.com/liuzeming01/DuRecDial/raw/main/data.zip"
_LICENSE = "cc-by-nc-sa-4.0"
_CITATION = DURECDIAL2
_DESCRIPTION = (
    "DuRecDial 2.0 is a bilingual parallel (English-Chinese) human-to-human conversational recommendation corpus: "
    "about 8.2k dialogs per language, each with a seeker profile, a goal sequence and grounding knowledge triples."
)

LANGUAGES = ("en", "zh")
# Raw file stem -> datasets split.
RAW_SPLITS = {"train": datasets.Split.TRAIN, "dev": datasets.Split.VALIDATION, "test": datasets.Split.TEST}
GREETINGS = {"en": "Greetings", "zh": "寒暄"}
TASK_DIRECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("en", "en"),),
    "zh": (("zh", "zh"),),
    "multi": (("en", "en"), ("zh", "zh")),
    "zh-en": (("zh", "en"),),
    "en-zh": (("en", "zh"),),
}
_GOAL_MARKER = re.compile(r"^\s*\[(\d+)\]\s*")

_GOAL = {"type": datasets.Value("string"), "topic": datasets.Value("string")}
_TRIPLES = datasets.List(datasets.List(datasets.Value("string")))
TURN_FEATURES = datasets.Features(
    {
        "dialog_id": datasets.Value("string"),
        "turn_id": datasets.Value("int32"),
        "context": datasets.List(datasets.Value("string")),
        "context_roles": datasets.List(datasets.Value("string")),
        "response": datasets.Value("string"),
        "source_lang": datasets.Value("string"),
        "target_lang": datasets.Value("string"),
        "goal": _GOAL,
        "goal_switch": datasets.Value("bool"),
        "goal_sequence": datasets.List(_GOAL),
        "knowledge": _TRIPLES,
        "user_profile": datasets.Json(),
        "situation": datasets.Value("string"),
    }
)
DIALOG_FEATURES = datasets.Features(
    {
        "dialog_id": datasets.Value("string"),
        "language": datasets.Value("string"),
        "goal_plan": datasets.Value("string"),
        "goal_sequence": datasets.List(_GOAL),
        "user_profile": datasets.Json(),
        "situation": datasets.Value("string"),
        "first_speaker": datasets.Value("string"),
        "utterances": datasets.List(
            {
                "role": datasets.Value("string"),
                "text": datasets.Value("string"),
                "goal": _GOAL,
                "goal_switch": datasets.Value("bool"),
                "knowledge": _TRIPLES,
            }
        ),
    }
)
KG_FEATURES = datasets.Features(
    {"subject": datasets.Value("string"), "relation": datasets.Value("string"), "object": datasets.Value("string")}
)


@dataclass
class DuRecDial2Config(datasets.BuilderConfig):
    """BuilderConfig for DuRecDial 2.0.

    Args:
        kind (`str`, defaults to `"turns"`): `"turns"` (one record per bot utterance), `"dialogs"` or `"entity_kg"`.
        directions (`tuple[tuple[str, str], ...]`): for `"turns"`, the (context language, response language) pairs.
        language (`str`, *optional*): for `"dialogs"` and `"entity_kg"`, the language of the files read.
    """

    kind: str = "turns"
    directions: tuple[tuple[str, str], ...] = ()
    language: str | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.kind not in ("turns", "dialogs", "entity_kg"):
            raise ValueError(f"kind must be 'turns', 'dialogs' or 'entity_kg', but got kind={self.kind!r}")
        if self.kind == "turns":
            bad = [pair for pair in self.directions if len(pair) != 2 or not set(pair) <= set(LANGUAGES)]
            if not self.directions or bad:
                raise ValueError(f"directions must be (source, target) pairs over {LANGUAGES}, got {self.directions!r}")
        elif self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES} for kind={self.kind!r}, got {self.language!r}")

    @property
    def languages(self) -> tuple[str, ...]:
        """The raw-file languages this config reads."""
        if self.kind != "turns":
            return (self.language,)
        return tuple(lang for lang in LANGUAGES if any(lang in pair for pair in self.directions))


@dataclass
class Dialog:
    """One raw dialog in one language, validated and normalised."""

    dialog_id: str
    language: str
    goal_plan: str
    user_profile: dict[str, Any]
    situation: str
    utterances: list[str]  # "[n]" markers stripped
    goal_switches: list[bool]  # True where an utterance carried a "[n]" marker
    goals: list[dict[str, str]]  # per utterance: {"type", "topic"}
    knowledge: list[list[list[str]]]  # per utterance: a list of [s, r, o] triples
    bot_first: bool

    def role(self, index: int) -> str:
        return "bot" if (index % 2 == 0) == self.bot_first else "user"

    @property
    def goal_sequence(self) -> list[dict[str, str]]:
        """The plan as consecutive runs of the per-utterance goal labels."""
        runs: list[dict[str, str]] = []
        for goal in self.goals:
            if not runs or runs[-1] != goal:
                runs.append(goal)
        return runs


def _string_list(record: dict[str, Any], field: str, length: int | None, path: str, line: int) -> list[str]:
    values = require_field(record, field, list, path, line)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise CRSDataError(path, line, f"{field}[{index}]", f"expected str, got {describe_type(value)}")
    if length is not None and len(values) != length:
        raise CRSDataError(
            path, line, field, f"expected one entry per utterance ({length}), got {len(values)} entries"
        )
    return values


def _is_triple(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 3 and all(isinstance(part, str) for part in value)


def _normalise_knowledge(entry: Any, path: str, line: int, index: int) -> list[list[str]]:
    """[] -> [], a flat [s, r, o] (English files) -> [[s, r, o]], a list of triples (Chinese files) -> itself."""
    if entry == []:
        return []
    if _is_triple(entry):
        return [entry]
    if isinstance(entry, list) and all(_is_triple(triple) for triple in entry):
        return entry
    raise CRSDataError(
        path, line, f"knowledge[{index}]", f"expected [], a [subject, relation, object] triple or a list of triples, got {entry!r}"
    )


def parse_dialog(record: dict[str, Any], path: str, line: int, language: str, dialog_id: str) -> Dialog:
    """Validates one raw DuRecDial 2.0 record and normalises it into a `Dialog`."""
    conversation = _string_list(record, "conversation", None, path, line)
    if not conversation:
        raise CRSDataError(path, line, "conversation", "dialog has no utterances")
    length = len(conversation)
    goal_types = _string_list(record, "goal_type_list", length, path, line)
    goal_topics = _string_list(record, "goal_topic_list", length, path, line)
    raw_knowledge = require_field(record, "knowledge", list, path, line)
    if len(raw_knowledge) != length:
        raise CRSDataError(
            path, line, "knowledge", f"expected one entry per utterance ({length}), got {len(raw_knowledge)} entries"
        )
    utterances, switches = [], []
    for text in conversation:
        marker = _GOAL_MARKER.match(text)
        switches.append(marker is not None)
        utterances.append(text[marker.end() :] if marker else text.strip())
    return Dialog(
        dialog_id=dialog_id,
        language=language,
        goal_plan=require_field(record, "goal", str, path, line),
        user_profile=require_field(record, "user_profile", dict, path, line),
        situation=require_field(record, "situation", str, path, line),
        utterances=utterances,
        goal_switches=switches,
        goals=[{"type": kind, "topic": topic} for kind, topic in zip(goal_types, goal_topics)],
        knowledge=[_normalise_knowledge(entry, path, line, i) for i, entry in enumerate(raw_knowledge)],
        bot_first=goal_types[0].strip() == GREETINGS[language],
    )


def read_parallel_dialogs(files: dict[str, str], stem: str) -> Iterator[dict[str, Dialog]]:
    """Yields `{language: Dialog}` per dialog, checking that the files align record by record.

    The dialog id is `"<stem>-<n>"` with n the 0-based record index, so the EN and ZH version of a dialog share it.
    """
    readers = {lang: iter_jsonl(path) for lang, path in files.items()}
    index = 0
    while True:
        rows = {lang: next(reader, None) for lang, reader in readers.items()}
        finished = [lang for lang, row in rows.items() if row is None]
        if len(finished) == len(rows):
            return
        if finished:
            longer = next(lang for lang, row in rows.items() if row is not None)
            raise CRSDataError(
                files[longer], rows[longer][0], None,
                f"parallel files do not align: {files[finished[0]]} ends after {index} dialogs but this file goes on",
            )
        dialog_id = f"{stem}-{index}"
        dialogs = {lang: parse_dialog(record, files[lang], line, lang, dialog_id) for lang, (line, record) in rows.items()}
        if len(dialogs) > 1:
            _check_aligned(dialogs, files, rows)
        yield dialogs
        index += 1


def _check_aligned(dialogs: dict[str, Dialog], files: dict[str, str], rows: dict[str, tuple[int, dict]]) -> None:
    (first_lang, first), *others = dialogs.items()
    for lang, other in others:
        line = rows[lang][0]
        if len(other.utterances) != len(first.utterances):
            raise CRSDataError(
                files[lang], line, "conversation",
                f"parallel dialogs differ in length: {len(other.utterances)} utterances here, "
                f"{len(first.utterances)} in {files[first_lang]} line {rows[first_lang][0]}",
            )
        if other.bot_first != first.bot_first:
            raise CRSDataError(
                files[lang], line, "goal_type_list",
                f"first goal {other.goals[0]['type']!r} disagrees on who speaks first with "
                f"{first.goals[0]['type']!r} in {files[first_lang]} line {rows[first_lang][0]}",
            )


def turn_records(source: Dialog, target: Dialog) -> Iterator[dict[str, Any]]:
    """One record per bot utterance: context in `source`'s language, everything else in `target`'s."""
    for turn_id in range(len(target.utterances)):
        if target.role(turn_id) != "bot":
            continue
        yield {
            "dialog_id": target.dialog_id,
            "turn_id": turn_id,
            "context": source.utterances[:turn_id],
            "context_roles": [source.role(i) for i in range(turn_id)],
            "response": target.utterances[turn_id],
            "source_lang": source.language,
            "target_lang": target.language,
            "goal": target.goals[turn_id],
            "goal_switch": target.goal_switches[turn_id],
            "goal_sequence": target.goal_sequence,
            "knowledge": target.knowledge[turn_id],
            "user_profile": target.user_profile,
            "situation": target.situation,
        }


def dialog_record(dialog: Dialog) -> dict[str, Any]:
    return {
        "dialog_id": dialog.dialog_id,
        "language": dialog.language,
        "goal_plan": dialog.goal_plan,
        "goal_sequence": dialog.goal_sequence,
        "user_profile": dialog.user_profile,
        "situation": dialog.situation,
        "first_speaker": dialog.role(0),
        "utterances": [
            {"role": dialog.role(i), "text": text, "goal": goal, "goal_switch": switch, "knowledge": knowledge}
            for i, (text, goal, switch, knowledge) in enumerate(
                zip(dialog.utterances, dialog.goals, dialog.goal_switches, dialog.knowledge)
            )
        ],
    }


class DuRecDial2(datasets.GeneratorBasedBuilder):
    """DuRecDial 2.0 task, dialog and knowledge-graph configs (see the module docstring)."""

    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = DuRecDial2Config
    BUILDER_CONFIGS = [
        *(
            DuRecDial2Config(name=name, kind="turns", directions=directions, description=f"Task config {name}.")
            for name, directions in TASK_DIRECTIONS.items()
        ),
        *(
            DuRecDial2Config(name=f"{kind}-{lang}", kind=kind, language=lang, description=f"{kind} in {lang}.")
            for kind in ("dialogs", "entity_kg")
            for lang in LANGUAGES
        ),
    ]
    DEFAULT_CONFIG_NAME = "en"

    def _info(self) -> datasets.DatasetInfo:
        features = {"turns": TURN_FEATURES, "dialogs": DIALOG_FEATURES, "entity_kg": KG_FEATURES}[self.config.kind]
        return datasets.DatasetInfo(
            description=_DESCRIPTION, features=features, homepage=_HOMEPAGE, license=_LICENSE, citation=_CITATION
        )

    def raw_files(self) -> list[str]:
        """The raw files this config reads from `data_dir` (for the provenance section of an exported card)."""
        split_files = find_split_files(os.path.abspath(self.config.data_dir), self.config.languages)
        return [path for files in split_files.values() for path in files.values()]

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        if self.config.data_dir:
            raw_dir = os.path.abspath(os.path.expanduser(self.config.data_dir))
            if not os.path.isdir(raw_dir):
                raise CRSDataError(raw_dir, None, None, "data_dir is not a folder")
        else:
            raw_dir = _find_raw_dir(dl_manager.download_and_extract(DOWNLOAD_URL))
        split_files = find_split_files(raw_dir, self.config.languages)
        if self.config.kind == "entity_kg":
            return [datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"split_files": split_files})]
        return [
            datasets.SplitGenerator(name=RAW_SPLITS[stem], gen_kwargs={"split_files": {stem: files}})
            for stem, files in split_files.items()
        ]

    def _generate_examples(self, split_files: dict[str, dict[str, str]]):
        seen: set[tuple[str, str, str]] = set()
        index = 0
        for stem, files in split_files.items():
            for dialogs in read_parallel_dialogs(files, stem):
                for record in self._records(dialogs, seen):
                    yield Key(0, index), record
                    index += 1

    def _records(self, dialogs: dict[str, Dialog], seen: set) -> Iterator[dict[str, Any]]:
        if self.config.kind == "turns":
            for source, target in self.config.directions:
                yield from turn_records(dialogs[source], dialogs[target])
        elif self.config.kind == "dialogs":
            yield dialog_record(dialogs[self.config.language])
        else:
            for triples in dialogs[self.config.language].knowledge:
                for triple in triples:
                    if tuple(triple) not in seen:
                        seen.add(tuple(triple))
                        yield dict(zip(("subject", "relation", "object"), triple))


def find_split_files(raw_dir: str, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Maps each raw split present in `raw_dir` to `{language: path}`; any subset of train/dev/test may be present.

    Raises:
        CRSDataError: no split file at all, or a split present for one needed language and missing for another.
    """
    found: dict[str, dict[str, str]] = {}
    for stem in RAW_SPLITS:
        paths = {lang: os.path.join(raw_dir, f"{lang}_{stem}.txt") for lang in languages}
        present = [lang for lang, path in paths.items() if os.path.isfile(path)]
        if present and len(present) < len(paths):
            missing = next(path for lang, path in paths.items() if lang not in present)
            raise CRSDataError(missing, None, None, f"file not found, but {paths[present[0]]} exists and is needed with it")
        if present:
            found[stem] = paths
    if not found:
        expected = ", ".join(f"{lang}_{{train,dev,test}}.txt" for lang in languages)
        raise CRSDataError(raw_dir, None, None, f"no DuRecDial 2.0 raw files found: expected {expected}")
    return found


def _find_raw_dir(extracted: str) -> str:
    """The folder of the downloaded archive that holds the raw `*_train.txt` / `*_dev.txt` files."""
    for folder, _, names in os.walk(extracted):
        if any(name in names for name in ("en_train.txt", "en_dev.txt", "zh_train.txt")):
            return folder
    raise CRSDataError(extracted, None, None, "downloaded archive holds no DuRecDial 2.0 raw files")
