"""`evaluate` wrapper of crs_hf's recommendation metrics (Hit@k, MRR@k, NDCG@k, Recall@k). Offline:
`evaluate.load("<path to this folder>")` or `crs_hf.metrics.load("recommendation")`."""

import datasets
import evaluate

from crs_hf.citations import CRSLAB
from crs_hf.metrics.ranking import RankingMetrics

_DESCRIPTION = """\
Ranking metrics for conversational recommendation over an item catalogue: hit@k (= recall@k for one gold item),
mrr@k and ndcg@k (single relevant item, IDCG = 1), plus the set recall@k, for cut-offs k (default 1, 10, 50).
Predictions are ranked item ids (best first, at least max(ks) per turn, e.g. the top-k of the model's scores);
references are the gold item ids of each turn (one sample per gold item, as CRSLab counts, or one per turn with
multi_label="set"). With exclude_context_items=True, items already mentioned in the context are removed from the
ranking and from the gold items (published ReDial numbers are inflated by such repeats; report both).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[list[int]]`): ranked item ids per turn, best first.
    references (`list[list[int]]`): gold item ids per turn.
    ks (`tuple[int]`, defaults to `(1, 10, 50)`): cut-offs.
    multi_label (`str`, defaults to `"per_item"`): `"per_item"` or `"set"`.
    exclude_context_items (`bool`, defaults to `False`): drop context items from rankings and gold items.
    context_items (`list[list[int]]`, *optional*): item ids mentioned in each turn's context.
Returns:
    `dict` with `hit@k`, `mrr@k`, `ndcg@k`, `recall@k` for each k, and `n_samples`.
Examples:
    >>> import crs_hf.metrics
    >>> metric = crs_hf.metrics.load("recommendation")
    >>> result = metric.compute(predictions=[[3, 1], [2, 0]], references=[[1], [2]], ks=(1, 2))
    >>> result["hit@1"], result["mrr@2"]
    (0.5, 0.75)
"""

_CITATION = CRSLAB


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Recommendation(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("int64")),
                 "references": datasets.Sequence(datasets.Value("int64"))}
            ),
        )

    def _compute(self, predictions, references, ks=(1, 10, 50), multi_label="per_item", exclude_context_items=False,
                 context_items=None):
        metric = RankingMetrics(ks, multi_label=multi_label, exclude_context_items=exclude_context_items)
        metric.add_ranked(predictions, references, context_items)
        return metric.compute()
