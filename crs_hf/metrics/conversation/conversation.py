"""`evaluate` wrapper of crs_hf's conversation metrics (BLEU, Distinct, F1, embedding metrics, PPL). Offline:
`evaluate.load("<path to this folder>")` or `crs_hf.metrics.load("conversation")`."""

import datasets
import evaluate

from crs_hf.citations import BLEU, DISTINCT
from crs_hf.metrics.generation import ConversationMetrics, Perplexity

_DESCRIPTION = """\
Response-generation metrics for conversational recommendation, in two variants (every formula is documented in
`crs_hf.metrics.generation`):
- variant="standard": bleu@1..4 = corpus cumulative BLEU (as sacrebleu, "exp" smoothing) and sentence_bleu@1..4;
  dist@1..4 = distinct / total word n-grams over the corpus; f1 = SQuAD-normalised token F1 (max over references).
- variant="crslab": CRSLab's published definitions: bleu@k = mean of nltk's individual k-gram score without
  smoothing; dist@k = distinct character n-grams over the corpus divided by the number of responses (can exceed 1);
  f1 = un-normalised whitespace-token F1; a response without a token is skipped by every metric of this variant,
  as CRSLab's evaluator skips it (`empty` = the share skipped; "standard" counts them and reports the same share).
Given `embeddings` (token -> vector), also emb_avg / emb_extreme / emb_greedy (CRSLab's definitions for "crslab";
see `crs_hf.metrics.embedding`; name the vectors used with the results). Given per-batch `nll_sums` and
`token_counts`, also ppl (token-weighted for "standard", mean of batch means for "crslab"), comparable only
between models of one tokenisation.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): generated responses.
    references (`list[str]` or `list[list[str]]`): one or several references per response.
    variant (`str`, defaults to `"standard"`): `"standard"` or `"crslab"`.
    tokenizer (`str`, defaults to `"whitespace"`): `"whitespace"`, `"char"` (Chinese), `"mixed"` or `"word"`.
    lowercase (`bool`, defaults to `False`), max_n (`int`, defaults to 4).
    embeddings (`dict[str, list[float]]`, *optional*): token vectors for the embedding metrics.
    nll_sums (`list[float]`, *optional*), token_counts (`list[int]`, *optional*): per batch, for ppl.
Returns:
    `dict` with `bleu@n`, `dist@n`, `f1`, `empty` (+ `sentence_bleu@n` for "standard", `emb_*`, `ppl` when given).
Examples:
    >>> import crs_hf.metrics
    >>> metric = crs_hf.metrics.load("conversation")
    >>> result = metric.compute(predictions=["the cat sat"], references=["the cat sat"], max_n=2)
    >>> round(result["bleu@2"], 6), result["dist@1"], result["f1"]
    (1.0, 1.0, 1.0)
"""

_CITATION = BLEU + DISTINCT


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Conversation(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Sequence(datasets.Value("string"))}),
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            ],
        )

    def _compute(self, predictions, references, variant="standard", tokenizer="whitespace", lowercase=False, max_n=4,
                 embeddings=None, nll_sums=None, token_counts=None):
        metric = ConversationMetrics(variant, tokenizer, lowercase, max_n, embeddings)
        metric.add_batch(predictions, references)
        result = metric.compute()
        if nll_sums is not None or token_counts is not None:
            if nll_sums is None or token_counts is None or len(nll_sums) != len(token_counts):
                raise ValueError("ppl needs nll_sums and token_counts of the same length (one entry per batch)")
            perplexity = Perplexity(variant)
            for nll_sum, count in zip(nll_sums, token_counts):
                perplexity.add_nll(nll_sum, count)
            result.update(perplexity.compute())
        return result
