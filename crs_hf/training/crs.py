"""CRS models, one stage at a time: `CRSTrainingConfig` + `CRSTrainer`.

Every stage is a plain `Trainer` run on the model's own loss (or, for a head its contract declares
`trained_by="counting"`, one pass of `model.observe(rec_labels)` over the training batches); only evaluation
differs.

- `pretrain` (KGSF's mutual-information pre-training): the loss only.
- `rec`: ranks the item catalogue and reports CRSLab's Hit/MRR/NDCG@k twice: over every gold item (CRSLab's
  protocol, comparable with published numbers) and over the gold items not mentioned earlier in the dialog, with
  the mentioned items masked out of the ranking (`*_new`; published ReDial numbers are inflated by such repeats).
- `conv`: generates every response with `generate()` (never the teacher-forced argmax CRSLab validates with) and
  reports BLEU / Distinct / F1 (and, with `word_vectors`, the embedding metrics) in the standard definitions and,
  as `crslab_*`, in CRSLab's (which skip empty responses), plus the token-weighted perplexity of the references
  (`perplexity`, comparable only between models of one tokenisation; none for a model without token logits;
  `loss` is the mean of per-batch means, as every Trainer reports it).
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import EarlyStoppingCallback, EvalPrediction, Trainer, TrainingArguments
from transformers.trainer_utils import TrainOutput

from crs_hf.metrics.embedding import WordVectors, load_word_vectors
from crs_hf.metrics.generation import ConversationMetrics, Perplexity
from crs_hf.metrics.ranking import RankingMetrics
from crs_hf.training.devices import CPUWhenNoAccelerator, KeepWrittenModelCard

__all__ = ["CRSTrainer", "CRSTrainingConfig", "conversation_metrics", "recommendation_metrics"]

STAGES = ("pretrain", "rec", "conv")
OBSERVE_PADDING = {"labels": -100, "context_item_positions": -1, "history_item_positions": -1}  # else the pad token


@dataclass
class CRSTrainingConfig(CPUWhenNoAccelerator, TrainingArguments):
    """Training arguments of one stage of a knowledge-graph CRS model.

    Args:
        stage (`str`, defaults to `"rec"`): the stage trained: `"pretrain"` (KGSF's mutual-information pre-training),
            `"rec"` (recommendation) or `"conv"` (conversation).
        generation_max_length (`int`, defaults to 30), generation_num_beams (`int`, defaults to 1): decoding of
            the `conv` evaluation.
        rec_ks (`list[int]`, defaults to `[1, 10, 50]`): cut-offs of the ranking metrics.
        max_context_entities (`int`, *optional*): keep the most recent N context entities/words per turn.
        early_stopping_patience (`int`, *optional*): stop after this many evaluations without improvement of
            `metric_for_best_model` (CRSLab's `impatience`); needs `load_best_model_at_end=True`, which restores the
            best checkpoint.
        word_vectors (`str`, *optional*): conv: word vectors for the embedding metrics (`emb_avg`, `emb_extreme`,
            `emb_greedy` and their `crslab_` variants): a `.npy` matrix `(len(tokenizer), dim)` whose row i is token
            id i (CRSLab's `word2vec.npy`), a word2vec / fastText text file (`.vec`, `.txt`, e.g. fastText's
            `cc.en.300.vec`, the vectors CRSLab's evaluator uses), or a gensim `KeyedVectors` file (`.kv`, `.model`,
            word2vec binary `.bin`; needs gensim). Checked when the trainer is built, before training.

    NOTE: defaults that differ from `TrainingArguments`: `eval_strategy="epoch"`, `save_strategy="epoch"`,
    `logging_steps=10`, `remove_unused_columns=False` (the collator picks its columns),
    `ddp_broadcast_buffers=False` (the knowledge-graph buffers are constant), and `use_cpu=True` on a machine
    without an accelerator (so that several CPU processes train together).
    """

    stage: str = field(default="rec", metadata={"help": "Stage to train.", "choices": list(STAGES)})
    generation_max_length: int = field(default=30, metadata={"help": "conv: longest generated response."})
    generation_num_beams: int = field(default=1, metadata={"help": "conv: beams (1 = greedy)."})
    rec_ks: list[int] = field(default_factory=lambda: [1, 10, 50], metadata={"help": "Ranking cut-offs."})
    max_context_entities: int | None = field(default=None, metadata={"help": "Most recent context entities kept."})
    early_stopping_patience: int | None = field(default=None, metadata={
        "help": "Evaluations without improvement before stopping (needs load_best_model_at_end)."})
    word_vectors: str | None = field(default=None, metadata={
        "help": "conv: word vectors for the embedding metrics: a .npy (len(tokenizer), dim) matrix aligned with the "
                "tokenizer's ids (CRSLab's word2vec.npy), a word2vec/fastText text file (.vec, .txt), or a gensim "
                "KeyedVectors file (.kv, .model, .bin; needs gensim)."})
    # defaults changed from TrainingArguments
    eval_strategy: str = field(default="epoch", metadata={"help": "When to evaluate: no, steps or epoch."})
    save_strategy: str = field(default="epoch", metadata={"help": "When to save: no, steps, epoch or best."})
    logging_steps: float = field(default=10, metadata={"help": "Log every N steps."})
    remove_unused_columns: bool = field(default=False, metadata={"help": "Keep dataset columns for the collator."})
    ddp_broadcast_buffers: bool | None = field(default=False, metadata={
        "help": "The KG buffers never change: broadcasting them each step only makes the R-GCN rebuild its index."})

    def __post_init__(self):
        super().__post_init__()
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, but got {self.stage!r}")
        if not self.rec_ks or min(self.rec_ks) < 1:
            raise ValueError(f"rec_ks must be positive cut-offs, but got {self.rec_ks}")
        if self.early_stopping_patience is not None and not self.load_best_model_at_end:
            raise ValueError("early_stopping_patience needs load_best_model_at_end=True (and a metric_for_best_model, "
                             "default the loss), so that the best checkpoint is the one kept")
        if self.word_vectors is not None and not os.path.isfile(self.word_vectors):
            raise ValueError(f"word_vectors: no file {self.word_vectors!r}")


def recommendation_metrics(prediction: EvalPrediction, ks: list[int]) -> dict[str, float]:
    """`prediction.predictions` (n, 2, K): top-K item positions, without and with context items masked;
    `prediction.label_ids` (n, 2): gold position and whether it was mentioned in the context."""
    ranked, labels = np.asarray(prediction.predictions), np.asarray(prediction.label_ids)
    every, new = RankingMetrics(ks), RankingMetrics(ks)
    every.add_ranked(ranked[:, 0], labels[:, 0].tolist())
    result = every.compute()
    fresh = labels[:, 1] == 0
    if fresh.any():
        new.add_ranked(ranked[fresh, 1], labels[fresh, 0].tolist())
        result.update({f"{key}_new": value for key, value in new.compute().items()})
    return result


def conversation_metrics(prediction: EvalPrediction, tokenizer, word_vectors: WordVectors | None = None
                         ) -> dict[str, float]:
    """Decoded generations against decoded references, split on whitespace: standard BLEU/Distinct/F1 (and, given
    `word_vectors`, the embedding metrics) and CRSLab's (`crslab_*`, which skip empty generations as CRSLab does;
    `empty` is their share). See `crs_hf.metrics.generation` for every formula."""

    def decode(ids: np.ndarray) -> list[str]:
        ids = np.where(np.asarray(ids) < 0, tokenizer.pad_token_id, ids)
        return [text.strip() for text in tokenizer.batch_decode(ids.tolist(), skip_special_tokens=True)]

    predictions, references = decode(prediction.predictions), decode(prediction.label_ids)
    standard, crslab = (ConversationMetrics(variant, embeddings=word_vectors) for variant in ("standard", "crslab"))
    for metric in (standard, crslab):
        metric.add_batch(predictions, references)
    result = standard.compute()
    result.update({f"crslab_{key}": value for key, value in crslab.compute().items()})
    return result


class CRSTrainer(KeepWrittenModelCard, Trainer):
    """`Trainer` for one stage of a CRS model (see the module docstring for the evaluation).

    Batches carry the inputs the model's contract asks for (`CRSCollator`); each model gets the ones its `forward`
    takes, and `context_item_positions` also serves the metrics.

    Args:
        trained_by: `"gradient"`, or `"counting"` for a model fitted by `observe(rec_labels)` (its head's
            `CRSHead.trained_by`).
        n_eval_items: rank only the first `n_eval_items` columns of `rec_logits` (the catalogue) when the model
            scores more candidates (every entity, as CRSLab's KBRD/KGSF train).
    """

    def __init__(self, model=None, args: CRSTrainingConfig | None = None, trained_by: str = "gradient",
                 n_eval_items: int | None = None, **kwargs):
        if args is None:
            raise ValueError("`args` is required: a CRSTrainingConfig naming the stage and the output_dir")
        if not isinstance(args, CRSTrainingConfig):
            raise ValueError(f"`args` must be a CRSTrainingConfig, but got {type(args).__name__}")
        if args.stage == "pretrain":
            pass  # the loss only
        elif kwargs.get("compute_metrics") is None and args.stage == "rec":
            kwargs["compute_metrics"] = lambda prediction: recommendation_metrics(prediction, args.rec_ks)
        elif kwargs.get("compute_metrics") is None:
            if kwargs.get("processing_class") is None:
                raise ValueError("the conv stage needs `processing_class` (the tokenizer) to decode generations")
            tokenizer = kwargs["processing_class"]
            vectors = None if args.word_vectors is None else load_word_vectors(args.word_vectors, tokenizer)
            kwargs["compute_metrics"] = lambda prediction: conversation_metrics(prediction, tokenizer, vectors)
        super().__init__(model=model, args=args, **kwargs)
        if args.early_stopping_patience is not None:
            self.add_callback(EarlyStoppingCallback(args.early_stopping_patience))
        self._forward_inputs = set(inspect.signature(self.model.forward).parameters)
        self._perplexity = Perplexity()  # conv evaluation, token-weighted
        if trained_by not in ("gradient", "counting"):
            raise ValueError(f"trained_by must be 'gradient' or 'counting', but got {trained_by!r}")
        self.trained_by, self.n_eval_items = trained_by, n_eval_items

    def train(self, resume_from_checkpoint=None, **kwargs):
        """The Trainer's loop, or for a counting model one pass over the training batches calling
        `model.observe(**batch)` with the inputs `observe` takes: every process observes the batches of all
        processes (padded to one width and gathered), so what it counts is the whole training split."""
        if self.trained_by == "gradient":
            return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)
        model = self.accelerator.unwrap_model(self.model)
        wanted = set(inspect.signature(model.observe).parameters)
        pad_token_id = getattr(self.data_collator, "pad_token_id", 0)
        seen = 0
        with torch.no_grad():
            for inputs in self.get_train_dataloader():
                batch = {}
                for key, value in inputs.items():
                    if key not in wanted:
                        continue
                    value = value.to(self.args.device)
                    if value.dim() > 1:  # padded rows: one width across processes before gathering
                        value = self.accelerator.pad_across_processes(
                            value, dim=1, pad_index=OBSERVE_PADDING.get(key, pad_token_id))
                    batch[key] = self.accelerator.gather_for_metrics(value)
                model.observe(**batch)
                seen += len(next(iter(batch.values())))
        self.state.global_step = 0
        return TrainOutput(global_step=0, training_loss=0.0, metrics={"train_samples_counted": float(seen)})

    def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                        metric_key_prefix="eval"):
        self._perplexity.reset()
        output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
        if self.args.stage == "conv" and self._perplexity.sums.get("tokens"):
            output.metrics[f"{metric_key_prefix}_perplexity"] = self._perplexity.compute()["ppl"]
        return output

    def _model_inputs(self, inputs: dict) -> dict:
        return {key: value for key, value in inputs.items() if key in self._forward_inputs}

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        return super().compute_loss(model, self._model_inputs(inputs), return_outputs=return_outputs, **kwargs)

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        inputs = self._prepare_inputs(inputs)
        if self.args.stage == "pretrain":
            with torch.no_grad():
                return model(**self._model_inputs(inputs)).loss.detach(), None, None
        if self.args.stage == "conv":
            return self._conversation_step(model, inputs, prediction_loss_only)
        mentioned = inputs["context_item_positions"]
        labels = inputs["rec_labels"]
        with torch.no_grad():
            outputs = model(**self._model_inputs(inputs))
        loss = outputs.loss.detach() if outputs.loss is not None else None
        if prediction_loss_only:
            return loss, None, None
        scores = outputs.rec_logits.float()[:, : self.n_eval_items]  # the catalogue (all columns if None)
        k = min(max(self.args.rec_ks), scores.shape[-1])
        masked = scores.clone()
        rows, cols = (mentioned >= 0).nonzero(as_tuple=True)
        masked[rows, mentioned[rows, cols]] = float("-inf")
        ranked = torch.stack([scores.topk(k).indices, masked.topk(k).indices], dim=1)  # (batch, 2, k)
        repeated = (mentioned == labels[:, None]).any(dim=1).long()
        return loss, ranked, torch.stack([labels, repeated], dim=1)

    def _conversation_step(self, model, inputs, prediction_loss_only):
        """The loss and the perplexity of the references (for a model with token logits; a retrieval model has
        none), then the generated responses."""
        inputs = self._model_inputs(inputs)
        with torch.no_grad():
            outputs = model(**inputs)
            loss = outputs.loss.detach() if outputs.loss is not None else None
            labels = inputs["labels"]
            if outputs.logits is not None:
                nll = torch.nn.functional.cross_entropy(outputs.logits.float().transpose(1, 2), labels,
                                                        reduction="none")
                per_example = torch.stack([nll.sum(-1).double(), (labels != -100).sum(-1).double()], dim=1)
                nll_sum, n_tokens = self.accelerator.gather_for_metrics(per_example).sum(0).tolist()  # no duplicates
                self._perplexity.add_nll(nll_sum, int(n_tokens))
            if prediction_loss_only:
                return loss, None, None
            unwrapped = self.accelerator.unwrap_model(model)
            generated = unwrapped.generate(
                **{key: value for key, value in inputs.items() if key != "labels"},
                max_new_tokens=self.args.generation_max_length, num_beams=self.args.generation_num_beams,
            )
        return loss, generated, inputs["labels"]
