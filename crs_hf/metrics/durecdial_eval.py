r"""The DuRecDial 2.0 evaluation (Liu et al., EMNLP 2021, §6.1): F1, BLEU-1/2, DIST-1/2, knowledge P/R/F1, LS, UTC.

The paper follows DuRecDial (Liu et al., ACL 2020), whose automatic metrics come from the DuConv evaluation
script (Wu et al., ACL 2019; `baidu/knowledge-driven-dialogue`, `generative_pt/tools/eval.py`). Neither DuRecDial
release ships its own script, so crs_hf re-implements the DuConv formulas and documents its choices:

Tokens: Chinese = characters (spaces of the word segmentation removed), English = lowercased NLTK Treebank words.
The language is taken per sample from `languages`, or detected (a reference with a CJK character is Chinese).

- **f1**: corpus-level clipped token overlap (DuConv `calc_f1`): :math:`P = \sum \mathrm{hit} / \sum |\hat y|`,
  :math:`R = \sum \mathrm{hit} / \sum |y|`, :math:`F1 = 2PR/(P+R)`. The paper reports it in percent.
- **bleu@1, bleu@2**: corpus-level, no smoothing (DuConv `calc_bleu`): clipped n-gram precisions :math:`p_n` summed
  over the corpus, brevity penalty :math:`\mathrm{BP} = e^{1 - R/C}` if the total hypothesis length :math:`C` is
  below the total reference length :math:`R`, else 1; :math:`\mathrm{BLEU1} = \mathrm{BP}\,p_1`,
  :math:`\mathrm{BLEU2} = \mathrm{BP}\sqrt{p_1 p_2}`. N-grams are token tuples (DuConv joins tokens without a
  separator, which lets different word bigrams collide; fixed here).
- **dist@1, dist@2**: distinct n-grams / all n-grams over all predictions (DuConv `calc_distinct`).
- **knowledge_p / knowledge_r / knowledge_f1** (Wu et al., 2019; the knowledge-hit rule of the DuRecDial follow-up
  evaluation in `iwangjian/Color4Dial`): the candidates of a turn are the subjects and objects of its gold
  knowledge triples; a candidate is *in* a response if it is a substring of it or if at least 55% of its tokens
  occur in it (clipped). Gold knowledge = candidates in the reference; predicted = candidates in the prediction;
  :math:`P = \sum |\mathrm{pred} \cap \mathrm{gold}| / \sum |\mathrm{pred}|`, :math:`R = \sum |\mathrm{pred} \cap
  \mathrm{gold}| / \sum |\mathrm{gold}|`. (Color divides English word overlap by the object's *character* length;
  crs_hf uses its token length.)
- **ls** (dialog-leading success; paper footnote 14: the percentage of times a dialog reaches or mentions the
  target, judged on the generated responses of the dialog): the targets of a dialog are the topics of its
  recommendation goals (goal type contains "recommendation" / "推荐"); a target is reached if any generated
  response of that dialog, at a turn of that goal, mentions the topic. LS = reached / targets. No reference
  implementation is public; this is crs_hf's operationalisation.
- **utc** (user-topic consistency; footnote 15: the model follows a new topic mentioned by the user): a turn
  follows a user-introduced topic when its goal topic differs from the previous bot turn's in the dialog, the
  topic is an entity (not the goal type itself), and the goal was opened by the user (`goal_switch` False on the
  bot turn). UTC = such turns whose generated response mentions the topic / such turns. Also crs_hf's
  operationalisation.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from crs_hf.metrics.streaming import StreamingMetric
from crs_hf.metrics.text import ngrams, tokenize

__all__ = [
    "PAPER_TABLE4_MBART",
    "TABLE4_HEADER",
    "DuRecDialMetrics",
    "durecdial_metrics",
    "knowledge_in_response",
    "table4_row",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
KNOWLEDGE_HIT_THRESHOLD = 0.55


def _language(text: str, given: str | None) -> str:
    if given is not None:
        if given not in ("en", "zh"):
            raise ValueError(f"language must be 'en' or 'zh', got {given!r}")
        return given
    return "zh" if _CJK.search(text) else "en"


def _tokens(text: str, language: str) -> list[str]:
    return tokenize(text, "char") if language == "zh" else tokenize(text, "word", lowercase=True)


@functools.lru_cache(maxsize=1 << 16)
def _candidate_counts(candidate: str, language: str) -> tuple[Counter, int]:
    """Token counts of a knowledge subject/object; cached, as the same entities recur across turns."""
    tokens = _tokens(candidate, language)
    return Counter(tokens), len(tokens)


def _squeeze(text: str, language: str) -> str:
    """The text for substring tests: Chinese without segmentation spaces, English lowercased with single spaces."""
    return "".join(text.split()) if language == "zh" else " ".join(text.lower().split())


def knowledge_in_response(
    candidate: str,
    response: str,
    language: str,
    threshold: float = KNOWLEDGE_HIT_THRESHOLD,
    response_counts: Counter | None = None,
) -> bool:
    """True if `candidate` (a knowledge subject/object) is mentioned in `response`: substring, or >= `threshold` of its
    tokens (clipped) occur in the response. `response_counts` (its token counts) saves re-tokenising the response."""
    candidate_text = _squeeze(candidate, language)
    if not candidate_text:
        return False
    if candidate_text in _squeeze(response, language):
        return True
    cand, length = _candidate_counts(candidate, language)
    resp = response_counts if response_counts is not None else Counter(_tokens(response, language))
    return length > 0 and sum((cand & resp).values()) / length >= threshold


def _is_recommendation(goal_type: str) -> bool:
    return "recommendation" in goal_type.lower() or "推荐" in goal_type


class DuRecDialMetrics(StreamingMetric):
    """Streaming DuRecDial 2.0 metrics (see the module docstring for every formula).

    Example:
        >>> m = DuRecDialMetrics()
        >>> m.add_batch(["I recommend Paper Moons"], ["You may like Paper Moons"],
        ...             knowledge=[[["Paper Moons", "Director", "Ada Wu"]]])
        >>> {k: round(v, 3) for k, v in m.compute().items() if k.startswith(("f1", "knowledge"))}
        {'f1': 0.444, 'knowledge_p': 1.0, 'knowledge_r': 1.0, 'knowledge_f1': 1.0}
    """

    def __init__(self, knowledge_threshold: float = KNOWLEDGE_HIT_THRESHOLD) -> None:
        if not 0 < knowledge_threshold <= 1:
            raise ValueError(f"knowledge_threshold must be in (0, 1], got {knowledge_threshold}")
        self.knowledge_threshold = knowledge_threshold
        super().__init__()

    def add_batch(
        self,
        predictions: Sequence[str],
        references: Sequence[str],
        knowledge: Sequence[Sequence[Sequence[str]]] | None = None,
        dialog_ids: Sequence[str] | None = None,
        turn_ids: Sequence[int] | None = None,
        goals: Sequence[dict[str, str]] | None = None,
        goal_switches: Sequence[bool] | None = None,
        languages: Sequence[str] | None = None,
    ) -> None:
        """Adds generated `predictions` with their `references` and, as available, each turn's gold `knowledge`
        triples (knowledge P/R/F1) and `dialog_ids`, `turn_ids`, `goals` ({"type", "topic"}), `goal_switches` (LS, UTC),
        i.e. the fields of a crs_hf DuRecDial 2.0 task record."""
        columns = {"references": references, "knowledge": knowledge, "dialog_ids": dialog_ids, "turn_ids": turn_ids,
                   "goals": goals, "goal_switches": goal_switches, "languages": languages}
        if isinstance(predictions, str):
            raise TypeError("predictions must be a sequence of strings, not a string")
        for name, column in columns.items():
            if column is not None and len(column) != len(predictions):
                raise ValueError(f"got {len(predictions)} predictions but {len(column)} {name}; expected one each")
        dialog_fields = (dialog_ids, turn_ids, goals, goal_switches)
        if any(f is not None for f in dialog_fields) and any(f is None for f in dialog_fields):
            raise ValueError("LS/UTC need dialog_ids, turn_ids, goals and goal_switches together")
        for i, (prediction, reference) in enumerate(zip(predictions, references)):
            if not isinstance(prediction, str) or not isinstance(reference, str):
                raise TypeError(f"predictions[{i}] and references[{i}] must be strings")
            language = _language(reference, None if languages is None else languages[i])
            hyp, ref = _tokens(prediction, language), _tokens(reference, language)
            self._add_text(hyp, ref)
            hyp_counts = Counter(hyp)
            if knowledge is not None:
                self._add_knowledge(prediction, reference, hyp_counts, Counter(ref), knowledge[i], language, i)
            if dialog_ids is not None:
                goal = goals[i]
                if not isinstance(goal, dict) or not {"type", "topic"} <= set(goal):
                    raise ValueError(f"goals[{i}] must be a dict with 'type' and 'topic', got {goal!r}")
                mentioned = knowledge_in_response(goal["topic"], prediction, language, self.knowledge_threshold,
                                                  hyp_counts)
                self._union("turns", [(str(dialog_ids[i]), int(turn_ids[i]), goal["type"], goal["topic"],
                                       bool(goal_switches[i]), mentioned)])

    def _add_text(self, hyp: list[str], ref: list[str]) -> None:
        self._add("n", 1)
        self._add("f1_hit", sum((Counter(hyp) & Counter(ref)).values()))
        self._add("hyp_len", len(hyp))
        self._add("ref_len", len(ref))
        for n in (1, 2):
            hyp_grams, ref_grams = ngrams(hyp, n), ngrams(ref, n)
            self._add(f"match_{n}", sum((hyp_grams & ref_grams).values()))
            self._add(f"total_{n}", sum(hyp_grams.values()))
            self._union(f"distinct_{n}", hyp_grams)

    def _add_knowledge(self, prediction: str, reference: str, hyp_counts: Counter, ref_counts: Counter,
                       triples: Sequence[Sequence[str]], language: str, index: int) -> None:
        candidates: set[str] = set()
        for triple in triples:
            if len(triple) != 3:
                raise ValueError(f"knowledge[{index}] holds {list(triple)!r}; expected [subject, relation, object] triples")
            candidates.update(part.strip() for part in (triple[0], triple[2]) if part.strip())
        threshold = self.knowledge_threshold
        gold = {c for c in candidates if knowledge_in_response(c, reference, language, threshold, ref_counts)}
        predicted = {c for c in candidates if knowledge_in_response(c, prediction, language, threshold, hyp_counts)}
        self._add("knowledge_hit", len(gold & predicted))
        self._add("knowledge_pred", len(predicted))
        self._add("knowledge_gold", len(gold))

    def compute(self) -> dict[str, float]:
        s = self.sums
        if not s.get("n"):
            raise ValueError("no prediction/reference pairs were added; nothing to compute")
        result = {"f1": _f1(s["f1_hit"], s["hyp_len"], s["ref_len"])}
        bp = 1.0 if s["hyp_len"] >= s["ref_len"] else (math.exp(1 - s["ref_len"] / s["hyp_len"]) if s["hyp_len"] else 0.0)
        p1, p2 = (s[f"match_{n}"] / s[f"total_{n}"] if s[f"total_{n}"] else 0.0 for n in (1, 2))
        result["bleu@1"] = bp * p1
        result["bleu@2"] = bp * math.sqrt(p1 * p2)
        for n in (1, 2):
            result[f"dist@{n}"] = len(self.sets[f"distinct_{n}"]) / s[f"total_{n}"] if s[f"total_{n}"] else 0.0
        if "knowledge_gold" in s:
            hit, pred, gold = s["knowledge_hit"], s["knowledge_pred"], s["knowledge_gold"]
            result["knowledge_p"] = hit / pred if pred else 0.0
            result["knowledge_r"] = hit / gold if gold else 0.0
            result["knowledge_f1"] = _f1(hit, pred, gold)
        if self.sets.get("turns"):
            result.update(_leading_success_and_topic_consistency(self.sets["turns"]))
        return result


def _f1(hit: float, predicted: float, gold: float) -> float:
    if not hit:
        return 0.0
    precision, recall = hit / predicted, hit / gold
    return 2 * precision * recall / (precision + recall)


def _leading_success_and_topic_consistency(turns: set[tuple]) -> dict[str, float]:
    by_dialog: dict[str, list[tuple]] = {}
    for turn in sorted(turns, key=lambda t: (t[0], t[1])):
        by_dialog.setdefault(turn[0], []).append(turn)
    targets, reached, user_topics, followed = set(), set(), 0, 0
    for dialog_id, dialog_turns in by_dialog.items():
        previous_topic = None
        for _, _, goal_type, topic, switch, mentioned in dialog_turns:
            if _is_recommendation(goal_type):
                targets.add((dialog_id, topic))
                if mentioned:
                    reached.add((dialog_id, topic))
            new_topic = previous_topic is not None and topic != previous_topic
            if new_topic and not switch and topic.strip() and topic != goal_type:
                user_topics += 1
                followed += mentioned
            previous_topic = topic
    result = {}
    if targets:
        result["ls"] = len(reached) / len(targets)
    if user_topics:
        result["utc"] = followed / user_topics
    return result


def durecdial_metrics(predictions: Sequence[str], references: Sequence[str], **columns: Any) -> dict[str, float]:
    """One-shot `DuRecDialMetrics` (the same keyword columns as `add_batch`)."""
    metric = DuRecDialMetrics()
    metric.add_batch(predictions, references, **columns)
    return metric.compute()


# Table 4 of the DuRecDial 2.0 paper (human-translated data), mBART rows: F1 and LS/UTC in percent there,
# fractions here. Keys: (task config, response language).
PAPER_TABLE4_MBART: dict[tuple[str, str], dict[str, float]] = {
    ("en", "en"): {"f1": 0.6838, "bleu@1": 0.325, "bleu@2": 0.245, "dist@1": 0.017, "dist@2": 0.054,
                   "knowledge_p": 0.350, "knowledge_r": 0.396, "knowledge_f1": 0.362, "ls": 0.2890, "utc": 0.2477},
    ("zh", "zh"): {"f1": 0.4629, "bleu@1": 0.363, "bleu@2": 0.259, "dist@1": 0.011, "dist@2": 0.042,
                   "knowledge_p": 0.416, "knowledge_r": 0.491, "knowledge_f1": 0.432, "ls": 0.3589, "utc": 0.3198},
    ("multi", "en"): {"f1": 0.6438, "bleu@1": 0.268, "bleu@2": 0.192, "dist@1": 0.007, "dist@2": 0.024,
                      "knowledge_p": 0.307, "knowledge_r": 0.367, "knowledge_f1": 0.325, "ls": 0.1611, "utc": 0.2055},
    ("multi", "zh"): {"f1": 0.4637, "bleu@1": 0.366, "bleu@2": 0.241, "dist@1": 0.006, "dist@2": 0.025,
                      "knowledge_p": 0.412, "knowledge_r": 0.493, "knowledge_f1": 0.436, "ls": 0.3631, "utc": 0.3259},
    ("zh-en", "en"): {"f1": 0.6743, "bleu@1": 0.314, "bleu@2": 0.231, "dist@1": 0.013, "dist@2": 0.040,
                      "knowledge_p": 0.328, "knowledge_r": 0.379, "knowledge_f1": 0.343, "ls": 0.2426, "utc": 0.2383},
    ("en-zh", "zh"): {"f1": 0.5569, "bleu@1": 0.430, "bleu@2": 0.325, "dist@1": 0.019, "dist@2": 0.077,
                      "knowledge_p": 0.455, "knowledge_r": 0.536, "knowledge_f1": 0.476, "ls": 0.3867, "utc": 0.3211},
}
TASK_NUMBERS = {"en": 1, "zh": 2, "multi": 3, "zh-en": 4, "en-zh": 5}


def table4_row(task: str, response_lang: str, method: str, result: dict[str, float]) -> str:
    """One Markdown row in the layout of the paper's Table 4 (F1, LS, UTC in percent; "–" where not computed,
    e.g. UTC when no turn introduced a user topic)."""
    source = {"en": "EN", "zh": "ZH", "zh-en": "ZH", "en-zh": "EN"}.get(task, response_lang.upper())
    name = f"{TASK_NUMBERS[task]}({source}->{response_lang.upper()})"

    def cell(*keys: str, percent: bool = False) -> str:
        if any(key not in result for key in keys):
            return "–"
        return "/".join(f"{100 * result[k]:.2f}%" if percent else f"{result[k]:.3f}" for k in keys)

    return (f"| {name} | {method} | {cell('f1', percent=True)} | {cell('bleu@1', 'bleu@2')} | "
            f"{cell('dist@1', 'dist@2')} | {cell('knowledge_p', 'knowledge_r', 'knowledge_f1')} | "
            f"{cell('ls', percent=True)} | {cell('utc', percent=True)} |")


TABLE4_HEADER = ("| Task | Method | F1 | BLEU1/BLEU2 | DIST-1/DIST-2 | Knowledge P/R/F1 | LS | UTC |\n"
                 "|---|---|---:|---:|---:|---:|---:|---:|")
