"""`evaluate` wrapper of crs_hf's DuRecDial 2.0 metrics (F1, BLEU-1/2, DIST-1/2, knowledge P/R/F1, LS, UTC).
Offline: `evaluate.load("<path to this folder>")` or `crs_hf.metrics.load("durecdial")`."""

import datasets
import evaluate

from crs_hf.citations import DUCONV, DURECDIAL2
from crs_hf.metrics.durecdial_eval import DuRecDialMetrics

_DESCRIPTION = """\
The automatic metrics of DuRecDial 2.0 (Liu et al., EMNLP 2021, section 6.1), re-implemented after the DuConv
evaluation script that DuRecDial's metrics come from: corpus-level character (Chinese) / word (English) F1,
corpus BLEU-1/2 without smoothing, corpus DIST-1/2, knowledge precision/recall/F1 (subjects and objects of the
gold knowledge mentioned in the response), and crs_hf's operationalisations of dialog-leading success (LS) and
user-topic consistency (UTC), for which no reference code is public. Every formula is documented in
`crs_hf.metrics.durecdial_eval`. Values are fractions; the paper prints F1, LS and UTC in percent.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): generated responses.
    references (`list[str]`): gold responses.
    knowledge (`list[list[list[str]]]`, *optional*): each turn's gold [subject, relation, object] triples.
    dialog_ids (`list[str]`), turn_ids (`list[int]`), goals (`list[dict]` with "type" and "topic"),
    goal_switches (`list[bool]`), *optional*: the turn fields of a crs_hf DuRecDial 2.0 task record, for LS/UTC.
    languages (`list[str]`, *optional*): "en"/"zh" per turn (default: detected from the reference).
Returns:
    `dict` with `f1`, `bleu@1`, `bleu@2`, `dist@1`, `dist@2` (+ `knowledge_p`, `knowledge_r`, `knowledge_f1`,
    `ls`, `utc` when their inputs are given).
Examples:
    >>> import crs_hf.metrics
    >>> metric = crs_hf.metrics.load("durecdial")
    >>> result = metric.compute(predictions=["好 的 ， 再见"], references=["好 的 再见"])
    >>> round(result["f1"], 3)
    0.889
"""

_CITATION = DURECDIAL2 + DUCONV


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Durecdial(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, knowledge=None, dialog_ids=None, turn_ids=None, goals=None,
                 goal_switches=None, languages=None):
        metric = DuRecDialMetrics()
        metric.add_batch(predictions, references, knowledge=knowledge, dialog_ids=dialog_ids, turn_ids=turn_ids,
                         goals=goals, goal_switches=goal_switches, languages=languages)
        return metric.compute()
