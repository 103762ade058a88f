"""The model contract: what a crs_hf model tells the rest of the toolkit about itself.

Each model folder's `__init__.py` declares one `CRSModelSpec` named `CRS_MODEL`: its heads (one per task it can
train: `pretrain`, `rec`, `conv`, `policy`), the inputs each head consumes, the side data it is built from, and
its model-card facts. The data layer builds the declared inputs, the training script supplies the declared side
data, and neither ever looks at a model's name (the way RecBole's data and trainer read a model's `input_type`,
and transformers' Trainer reads `main_input_name`).

Input kinds (`CRSHead.inputs`) and the batch columns they become:

| kind                 | batch columns                          | what                                                   |
|----------------------|----------------------------------------|--------------------------------------------------------|
| `context_entities`   | `context_entities`                     | entity ids mentioned so far (entity2id), padded with 0 |
| `context_words`      | `context_words`                        | word-graph ids mentioned so far (word2id), padded 0    |
| `context_items`      | `context_item_positions`               | catalogue positions of the items mentioned so far, in order, padded with -1 |
| `history_items`      | `history_item_positions`               | catalogue positions of the user's earlier interactions (TG-ReDial), padded with -1 |
| `context_tokens`     | `input_ids`, `attention_mask`          | the flat context in the dataset's word-level vocabulary (token2id) |
| `context_utterances` | `input_ids` `(batch, utterances, tokens)` | the context one utterance a row (hierarchical models) |
| `context_subwords`   | `input_ids`, `attention_mask`          | the flat context in a pretrained backbone's tokenizer  |
| `response_tokens`    | `labels`                               | the response in the dataset's word-level vocabulary    |
| `response_subwords`  | `labels`                               | the response in the backbone's tokenizer (causal LMs)  |
| `response_items`     | `response_item_positions`              | catalogue positions of the items at the item placeholders of `labels`, in order, padded with -1; -100 where a slot's item is unknown |
| `response_role`      | `response_roles`                       | 1 where the response is a recommender turn, else 0 (role-aware models) |

Side data (`CRSHead.side_data`) and how the script hands each one over:

| side data       | handed over as                                                                     |
|-----------------|------------------------------------------------------------------------------------|
| `entity_kg`     | config sizes `n_entity`, `n_relation`; `model.set_entity_graph(edge_index, edge_type)` |
| `word_kg`       | config size `n_word`; `model.set_word_graph(edge_index)`                            |
| `items`         | config `item_ids` (catalogue as entity ids) and/or `n_items`                          |
| `vocabulary`    | the dataset's word-level tokenizer; config `vocab_size`, `pad/bos/eos_token_id`      |
| `copy_mask`     | `model.set_copy_mask(mask)`: the tokens a copy mechanism may score                   |
| `backbone`      | `model.set_backbone(name_or_path)` loads pretrained weights; its tokenizer is used   |
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import PreTrainedConfig, PreTrainedModel

__all__ = ["INPUT_KINDS", "SIDE_DATA", "TASKS", "TRAINED_BY", "CRSHead", "CRSModelSpec"]

TASKS = ("pretrain", "rec", "conv", "policy")
INPUT_KINDS = (
    "context_entities",
    "context_words",
    "context_items",
    "history_items",
    "context_tokens",
    "context_utterances",
    "context_subwords",
    "response_tokens",
    "response_subwords",
    "response_items",
    "response_role",
)
SIDE_DATA = ("entity_kg", "word_kg", "items", "vocabulary", "copy_mask", "backbone")
TRAINED_BY = ("gradient", "counting")


@dataclass(frozen=True)
class CRSHead:
    """One trainable head of a model.

    Args:
        task: the task (and training stage) the head serves: one of `TASKS`.
        model_class: the `PreTrainedModel` head, e.g. `KBRDForRecommendation`.
        inputs: the input kinds its `forward` needs (see the module docstring); the data layer builds these, and a
            dataset that cannot give one is refused before training.
        optional_inputs: input kinds it uses where the dataset has them (e.g. `history_items`: only TG-ReDial
            records a user's earlier interactions).
        side_data: what it is built from (see the module docstring); the script supplies these.
        auto_class: the task Auto class it registers with besides `AutoModel` (e.g. `AutoModelForSeq2SeqLM`).
        trained_by: `"gradient"` (the Trainer's loop on the model's loss) or `"counting"` (one pass over the
            training batches calling `model.observe(**batch)`, then saved: e.g. item popularity).
        item_placeholder: a token that replaces item mentions in responses (a switching decoder generates it).
    """

    task: str
    model_class: type[PreTrainedModel]
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...] = ()
    side_data: tuple[str, ...] = ()
    auto_class: type | None = None
    trained_by: str = "gradient"
    item_placeholder: str | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"{self.model_class.__name__}: task must be one of {TASKS}, but got {self.task!r}")
        unknown = [kind for kind in (*self.inputs, *self.optional_inputs) if kind not in INPUT_KINDS]
        if unknown:
            raise ValueError(f"{self.model_class.__name__}: unknown input kinds {unknown}; known: {INPUT_KINDS}")
        unknown = [kind for kind in self.side_data if kind not in SIDE_DATA]
        if unknown:
            raise ValueError(f"{self.model_class.__name__}: unknown side data {unknown}; known: {SIDE_DATA}")
        if self.trained_by not in TRAINED_BY:
            raise ValueError(f"{self.model_class.__name__}: trained_by must be one of {TRAINED_BY}, "
                             f"but got {self.trained_by!r}")
        if self.trained_by == "counting" and not callable(getattr(self.model_class, "observe", None)):
            raise ValueError(f"{self.model_class.__name__} is trained by counting but has no observe() method")


@dataclass(frozen=True)
class CRSModelSpec:
    """Everything the toolkit needs to know about one model family.

    Args:
        config_class: its `PreTrainedConfig` (whose `model_type` names the model everywhere).
        base_model_class: the bare model registered with `AutoModel`.
        heads: one `CRSHead` per task.
        name: how the model card names the architecture, e.g. `"KBRD (Chen et al., EMNLP 2019)"`.
        citation: BibTeX of the model's paper (`crs_hf.citations`).
        summary: one line for `crs-hf models` and the model card.
        differences_from_crslab: each deliberate difference from CRSLab's implementation, for the model card.
        stages_share_weights: each stage starts from the previous stage's checkpoint (KBRD's conv model reuses its
            recommender's graph encoder); `False` when the heads are separate models (ReDial's AutoRec and HRED).
    """

    config_class: type[PreTrainedConfig]
    base_model_class: type[PreTrainedModel]
    heads: tuple[CRSHead, ...]
    name: str
    citation: str
    summary: str
    differences_from_crslab: tuple[str, ...] = ()
    stages_share_weights: bool = True
    _by_task: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_task = {}
        for head in self.heads:
            if head.task in by_task:
                raise ValueError(f"{self.model_type}: two heads for task {head.task!r}")
            by_task[head.task] = head
        object.__setattr__(self, "_by_task", by_task)

    @property
    def model_type(self) -> str:
        return self.config_class.model_type

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self._by_task)

    def head(self, task: str) -> CRSHead | None:
        """The head for `task`, or `None` where the model has none."""
        return self._by_task.get(task)

    def side_data(self, task: str) -> tuple[str, ...]:
        head = self.head(task)
        return () if head is None else head.side_data
