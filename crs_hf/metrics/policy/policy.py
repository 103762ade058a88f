"""`evaluate` wrapper of crs_hf's policy metrics (accuracy, hit@1/3/5, MRR@k, NDCG@k). Offline:
`evaluate.load("<path to this folder>")` or `crs_hf.metrics.load("policy")`."""

import datasets
import evaluate

from crs_hf.citations import CRSLAB
from crs_hf.metrics.ranking import PolicyMetrics

_DESCRIPTION = """\
Policy metrics for goal / topic prediction in conversational recommendation: accuracy (top-1) and hit@k for
k in 1, 3, 5, plus mrr@k and ndcg@k computed as CRSLab's policy evaluation does (rank over every class).
Predictions are ranked class ids (best first, at least max(ks) per sample); references the gold class ids.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[list[int]]`): ranked class ids per sample, best first.
    references (`list[int]`): the gold class id of each sample.
    ks (`tuple[int]`, defaults to `(1, 3, 5)`): cut-offs (1 is always included for accuracy).
Returns:
    `dict` with `accuracy`, `hit@k`, `mrr@k`, `ndcg@k`, `recall@k` and `n_samples`.
Examples:
    >>> import crs_hf.metrics
    >>> metric = crs_hf.metrics.load("policy")
    >>> result = metric.compute(predictions=[[1, 0, 2], [0, 2, 1]], references=[1, 2], ks=(1, 3))
    >>> result["accuracy"], result["hit@3"]
    (0.5, 1.0)
"""

_CITATION = CRSLAB


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Policy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("int64")), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, ks=(1, 3, 5)):
        metric = PolicyMetrics(ks)
        metric.add_ranked(predictions, references)
        return metric.compute()
