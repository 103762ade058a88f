r"""Retrieval: answer with the training response whose context is the most similar to the test context.

A floor that generated responses can be judged against: every word of it was written by a person, so its
Distinct and fluency are those of the data, and its BLEU/F1 show how much a model beats copying a similar
dialog. The index holds, for each training example, the term counts of its context (word-level token ids, the
special tokens left out) and its response; `observe(input_ids, labels, attention_mask)` adds a training batch,
`generate()` returns the response of the best-scoring training context. With N indexed contexts, df_t the number
of them containing term t, tf_{t,d} the count of t in context d, and q_t its count in the query:

- `similarity="bm25"` (Okapi BM25; Robertson & Zaragoza 2009, with Lucene's idf, which is never negative),
  |d| the number of terms of d and avgdl their mean over the index:

      idf_t = ln(1 + (N - df_t + 0.5) / (df_t + 0.5))
      score(q, d) = sum_t q_t * idf_t * tf_{t,d} (k1 + 1) / (tf_{t,d} + k1 (1 - b + b |d| / avgdl))

- `similarity="tfidf"` (scikit-learn's `TfidfVectorizer` defaults: raw counts, smoothed idf, L2-normalised
  vectors): with idf_t = ln((1 + N) / (1 + df_t)) + 1, v_d = (tf_{t,d} idf_t)_t and v_q = (q_t idf_t)_t,

      score(q, d) = cos(v_q, v_d)   (0 when either has no terms)

The highest score wins; ties go to the lowest index, i.e. the earliest observed training example (so a context
sharing no term with any training context gets the first one). Scores are computed in float64 from a sparse
(N, vocab_size) matrix of document weights built once per index. Training examples whose response has no token
left (only its end token) are not indexed: they could only answer with an empty response.

The index is six buffers saved in `model.safetensors`, CSR-style: `context_offsets` (N + 1), `context_terms` and
`context_term_counts` (one entry per distinct term of each context), `response_offsets` (N + 1),
`response_tokens` (every response, end tokens stripped) and `document_frequency` (vocab_size). Their sizes are
config fields (`n_documents`, `n_context_terms`, `n_response_tokens`) that `observe()` updates, as
`set_entity_graph` records `n_entity_edges`, so `from_pretrained` rebuilds them at the saved shape. Observed
batches are kept as a list and joined into the buffers once, before the first scoring, saving or device move,
so a pass over a large training split copies each entry once. Nothing has a gradient; there is no loss, so the
trainer reports no perplexity for this model.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import initialization as init
from transformers.utils import ModelOutput, logging

from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_retrieval import RetrievalConfig

logger = logging.get_logger(__name__)

INDEX_BUFFERS = ("document_frequency", "context_offsets", "context_terms", "context_term_counts",
                 "response_offsets", "response_tokens")


def check_token_ids(name: str, ids: torch.Tensor, vocab_size: int, ignore_index: int | None = None) -> None:
    """`ids` must be a 2-D tensor of ids in [0, vocab_size) (`ignore_index` aside)."""
    if ids.dim() != 2:
        raise ValueError(f"{name} must be (batch, length), but got shape {tuple(ids.shape)}")
    values = ids if ignore_index is None else ids[ids != ignore_index]
    if values.numel() and (values.min() < 0 or values.max() >= vocab_size):
        raise ValueError(f"{name} must hold token ids in [0, vocab_size={vocab_size}), but got values in "
                         f"[{int(values.min())}, {int(values.max())}]")


@dataclass
class RetrievalModelOutput(ModelOutput):
    """
    Args:
        scores (`torch.DoubleTensor` of shape `(batch_size, n_documents)`):
            The similarity of each context to every indexed training context (see the module docstring).
    """

    scores: torch.DoubleTensor | None = None


@dataclass
class RetrievalConversationOutput(ModelOutput):
    """
    Args:
        loss (`None`):
            Always `None`: a retrieval model assigns no likelihood to a reference (hence no perplexity).
        logits (`None`):
            Always `None`, for the same reason.
        retrieved_indices (`torch.LongTensor` of shape `(batch_size,)`):
            Index of the best training example (the order in which `observe()` saw them).
        retrieval_scores (`torch.DoubleTensor` of shape `(batch_size,)`):
            Its score.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    retrieved_indices: torch.LongTensor | None = None
    retrieval_scores: torch.DoubleTensor | None = None


class RetrievalIndex(nn.Module):
    """The training contexts (term counts) and responses, and the similarity of a query context to each.

    Reads `config.vocab_size`, the special token ids, `config.similarity`, `bm25_k1`, `bm25_b`,
    `context_window` and the index sizes; `observe()` updates the sizes.
    """

    def __init__(self, config: RetrievalConfig):
        super().__init__()
        self.config = config
        long = {"dtype": torch.long}
        self.register_buffer("document_frequency", torch.zeros(config.vocab_size, **long))
        self.register_buffer("context_offsets", torch.zeros(config.n_documents + 1, **long))
        self.register_buffer("context_terms", torch.zeros(config.n_context_terms, **long))
        self.register_buffer("context_term_counts", torch.zeros(config.n_context_terms, **long))
        self.register_buffer("response_offsets", torch.zeros(config.n_documents + 1, **long))
        self.register_buffer("response_tokens", torch.zeros(config.n_response_tokens, **long))
        self._pending: list[tuple[torch.Tensor, ...]] = []  # observed batches not yet joined into the buffers
        self._weights: tuple | None = None  # (cache key, sparse document weights)

    def reset_parameters(self) -> None:
        for name in INDEX_BUFFERS:
            init.zeros_(getattr(self, name))

    @property
    def special_token_ids(self) -> list[int]:
        config = self.config
        return [t for t in (config.pad_token_id, config.bos_token_id, config.eos_token_id) if t is not None]

    def term_mask(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> torch.BoolTensor:
        """`(batch, length)`: the positions that are terms: attended, not a special token, and among the last
        `context_window` such positions of the row."""
        mask = torch.ones_like(input_ids, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
        for special in self.special_token_ids:
            mask &= input_ids != special
        if self.config.context_window is not None:
            terms_from_here = mask.flip(1).cumsum(1).flip(1)  # terms at or after each position
            mask &= terms_from_here <= self.config.context_window
        return mask

    @torch.no_grad()
    def observe(self, input_ids: torch.LongTensor, labels: torch.LongTensor,
                attention_mask: torch.Tensor | None = None) -> None:
        """Adds a training batch: contexts `input_ids` `(batch, length)` (with `attention_mask`) and responses
        `labels` `(batch, response length)` padded with -100 (the special tokens are stripped)."""
        config, vocab_size = self.config, self.config.vocab_size
        check_token_ids("input_ids", input_ids, vocab_size)
        check_token_ids("labels", labels, vocab_size, ignore_index=-100)
        if labels.shape[0] != input_ids.shape[0]:
            raise ValueError(f"input_ids has {input_ids.shape[0]} rows but labels {labels.shape[0]}; one each")
        device = self.document_frequency.device
        input_ids, labels = input_ids.to(device), labels.to(device)
        terms = self.term_mask(input_ids, None if attention_mask is None else attention_mask.to(device))
        in_response = labels != -100
        for special in self.special_token_ids:
            in_response &= labels != special
        response_lengths = in_response.sum(1)
        keep = response_lengths > 0
        input_ids, terms, labels, in_response = input_ids[keep], terms[keep], labels[keep], in_response[keep]
        n_new = int(keep.sum())
        if n_new == 0:
            return
        rows, positions = terms.nonzero(as_tuple=True)
        keys, counts = torch.unique(rows * vocab_size + input_ids[rows, positions], return_counts=True)
        context_rows, context_terms = keys // vocab_size, keys % vocab_size  # sorted by row, then by term
        terms_per_context = torch.bincount(context_rows, minlength=n_new)
        self.document_frequency += torch.bincount(context_terms, minlength=vocab_size)
        self._pending.append((context_terms, counts, terms_per_context, labels[in_response], response_lengths[keep]))
        config.n_documents += n_new
        config.n_context_terms += int(context_terms.numel())
        config.n_response_tokens += int(in_response.sum())
        self._weights = None

    def _join_pending(self) -> None:
        """Appends the observed batches to the buffers (once, whatever the number of batches)."""
        if not self._pending:
            return
        terms, counts, terms_per_context, tokens, lengths = (torch.cat(parts) for parts in zip(*self._pending))
        self._pending = []
        self.context_terms = torch.cat([self.context_terms, terms])
        self.context_term_counts = torch.cat([self.context_term_counts, counts])
        self.context_offsets = torch.cat([self.context_offsets, self.context_offsets[-1] + terms_per_context.cumsum(0)])
        self.response_tokens = torch.cat([self.response_tokens, tokens])
        self.response_offsets = torch.cat([self.response_offsets, self.response_offsets[-1] + lengths.cumsum(0)])

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        self._join_pending()
        super()._save_to_state_dict(destination, prefix, keep_vars)

    def _load_from_state_dict(self, *args, **kwargs):
        self._pending, self._weights = [], None
        super()._load_from_state_dict(*args, **kwargs)

    def _apply(self, fn, *args, **kwargs):
        self._join_pending()
        self._weights = None
        return super()._apply(fn, *args, **kwargs)

    @property
    def n_documents(self) -> int:
        return self.config.n_documents

    def idf(self) -> torch.DoubleTensor:
        """`(vocab_size,)` inverse document frequency of every term, as `config.similarity` defines it."""
        n, df = float(self.n_documents), self.document_frequency.double()
        if self.config.similarity == "tfidf":
            return torch.log((1 + n) / (1 + df)) + 1
        return torch.log1p((n - df + 0.5) / (df + 0.5))

    def document_weights(self) -> torch.Tensor:
        """The sparse `(n_documents, vocab_size)` float64 matrix of term weights of the indexed contexts, built
        once per index and similarity."""
        self._join_pending()
        config = self.config
        key = (config.similarity, config.bm25_k1, config.bm25_b, self.n_documents, self.context_terms.data_ptr(),
               self.document_frequency.data_ptr(), self.context_terms.device)
        if self._weights is not None and self._weights[0] == key:
            return self._weights[1]
        offsets, terms = self.context_offsets, self.context_terms
        rows = torch.repeat_interleave(torch.arange(self.n_documents, device=terms.device), offsets.diff())
        tf, idf = self.context_term_counts.double(), self.idf()[terms]
        per_document = torch.zeros(self.n_documents, dtype=torch.float64, device=terms.device)
        if config.similarity == "tfidf":
            weights = tf * idf
            norms = per_document.index_add(0, rows, weights * weights).sqrt()
            weights = weights / norms[rows]  # rows with terms only: never zero
        else:
            lengths = per_document.index_add(0, rows, tf)
            average = lengths.mean() if self.n_documents else lengths.new_tensor(0.0)
            relative = lengths / average if average > 0 else torch.ones_like(lengths)
            k1, b = float(config.bm25_k1), float(config.bm25_b)
            weights = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * relative[rows]))
        matrix = torch.sparse_coo_tensor(torch.stack([rows, terms]), weights, (self.n_documents, config.vocab_size),
                                         is_coalesced=True, check_invariants=False)  # sorted and distinct
        self._weights = (key, matrix)
        return matrix

    def query_weights(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None
                      ) -> torch.DoubleTensor:
        """`(batch, vocab_size)`: the query side of the score: term counts (BM25) or the unit TF-IDF vector."""
        mask = self.term_mask(input_ids, attention_mask)
        counts = torch.zeros(input_ids.shape[0], self.config.vocab_size, dtype=torch.float64, device=input_ids.device)
        counts.scatter_add_(1, input_ids.masked_fill(~mask, 0), mask.double())
        if self.config.similarity == "bm25":
            return counts
        weights = counts * self.idf()
        norms = weights.norm(dim=1, keepdim=True)
        return weights / norms.clamp(min=torch.finfo(torch.float64).tiny)  # a query without terms stays zero

    def scores(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> torch.DoubleTensor:
        """`(batch, n_documents)`: the similarity of each query context to each indexed context."""
        check_token_ids("input_ids", input_ids, self.config.vocab_size)
        if self.n_documents == 0:
            raise ValueError("the retrieval index is empty: observe() the training batches first (the training "
                             "script does, trained_by='counting')")
        device = self.document_frequency.device
        input_ids = input_ids.to(device)
        attention_mask = None if attention_mask is None else attention_mask.to(device)
        query = self.query_weights(input_ids, attention_mask)
        return (self.document_weights() @ query.T).T

    def responses(self, indices: torch.LongTensor, max_tokens: int | None = None) -> torch.LongTensor:
        """`(batch, width)`: the responses of the indexed examples `indices`, each followed by the end token, cut to
        `max_tokens` tokens and padded with the pad token."""
        self._join_pending()
        config, indices = self.config, indices.to(self.response_offsets.device)
        starts, ends = self.response_offsets[indices].tolist(), self.response_offsets[indices + 1].tolist()
        rows = []
        for start, end in zip(starts, ends):
            tokens = self.response_tokens[start:end].tolist() + [config.eos_token_id]
            rows.append(tokens if max_tokens is None else tokens[:max_tokens])
        width = max((len(row) for row in rows), default=0)
        out = torch.full((len(rows), width), config.pad_token_id, dtype=torch.long)
        for i, row in enumerate(rows):
            out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return out


class RetrievalPreTrainedModel(CRSPreTrainedModel):
    """No weights: the index is a set of buffers, empty at initialisation and filled by `observe()`."""

    config_class = RetrievalConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RetrievalIndex):
            module.reset_parameters()

    def observe(self, input_ids: torch.LongTensor, labels: torch.LongTensor,
                attention_mask: torch.Tensor | None = None, **ignored) -> None:
        """Indexes a training batch: contexts `input_ids` (with `attention_mask`) and responses `labels` (padded
        with -100). Takes the whole batch (`model.observe(**batch)`); other inputs are not read."""
        self.base_model.index.observe(input_ids, labels, attention_mask)

    @property
    def device(self) -> torch.device:  # PreTrainedModel reads it from the parameters; this model has buffers only
        return self.base_model.index.document_frequency.device

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32


class RetrievalModel(RetrievalPreTrainedModel):
    """The index and the similarity of each context to every training context."""

    def __init__(self, config: RetrievalConfig):
        super().__init__(config)
        self.index = RetrievalIndex(config)
        self.post_init()

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None
                ) -> RetrievalModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`):
            The flat context in the dataset's word-level vocabulary.
        attention_mask (`torch.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            1 for context tokens, 0 for padding (the pad token is left out either way).
        """
        return RetrievalModelOutput(scores=self.index.scores(input_ids, attention_mask))


class RetrievalForConversation(RetrievalPreTrainedModel):
    """Answers each context with the response of the most similar training context; `observe()` indexes a
    training batch."""

    def __init__(self, config: RetrievalConfig):
        super().__init__(config)
        self.model = RetrievalModel(config)
        self.post_init()

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None,
                labels: torch.LongTensor | None = None) -> RetrievalConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`):
            The flat context in the dataset's word-level vocabulary.
        attention_mask (`torch.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            1 for context tokens, 0 for padding.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Accepted for the trainer's sake and not read: there is no loss.
        """
        best = self.model(input_ids, attention_mask).scores.max(dim=-1)  # max returns the first maximal index
        return RetrievalConversationOutput(retrieved_indices=best.indices, retrieval_scores=best.values)

    @torch.no_grad()
    def generate(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None,
                 max_new_tokens: int | None = None, num_beams: int = 1, **ignored) -> torch.LongTensor:
        """`(batch, length)` token ids of the retrieved responses, each ending with the end token and padded with
        the pad token, cut to `max_new_tokens`. A retrieval model has one answer per context: `num_beams` and
        sampling arguments are accepted and ignored."""
        if max_new_tokens is not None and max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, but got {max_new_tokens}")
        if num_beams != 1 or ignored.get("do_sample"):
            logger.warning_once("RetrievalForConversation returns the retrieved training response: num_beams and "
                                "sampling do not apply and are ignored")
        best = self(input_ids, attention_mask).retrieved_indices
        return self.model.index.responses(best, max_new_tokens).to(input_ids.device)


__all__ = ["RetrievalForConversation", "RetrievalModel", "RetrievalPreTrainedModel"]
