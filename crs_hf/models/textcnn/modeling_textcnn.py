"""TextCNN (Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014) as a recommender, as
CRSLab's `crslab/model/recommendation/textcnn/textcnn.py` uses it.

The context tokens are embedded; for each width k of `config.filter_sizes`, `config.num_filters` filters of k
tokens slide over them, each followed by a ReLU and a max over the positions; the concatenated maxima, after
dropout, go through a linear layer that scores every item of the catalogue:

    c_{k,f,t} = relu(sum_{j<k} W_{k,f,j} . e_{t+j} + b_{k,f})      (windows t inside the context only)
    u = [max_t c_{k,f,t}]_{k,f},    rec_logits = dropout(u) W_out^T + b_out

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn
from transformers import initialization as init
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers.item_sequence import check_rec_labels
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_textcnn import TextCNNConfig

logger = logging.get_logger(__name__)


def check_token_ids(input_ids: torch.Tensor, attention_mask: torch.Tensor | None, vocab_size: int) -> None:
    """Raises a `ValueError` naming the offending value unless `input_ids` is `(batch, length)` ids of the
    vocabulary and `attention_mask`, if given, has its shape."""
    if input_ids is None or input_ids.dim() != 2:
        shape = None if input_ids is None else tuple(input_ids.shape)
        raise ValueError(f"input_ids must be (batch, length) token ids, but got {shape}")
    if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
        raise ValueError(f"input_ids hold token ids in [{int(input_ids.min())}, {int(input_ids.max())}], "
                         f"but vocab_size={vocab_size}")
    if attention_mask is not None and attention_mask.shape != input_ids.shape:
        raise ValueError(f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
                         f"but got {tuple(attention_mask.shape)}")


class TextCNNConvolutions(nn.Module):
    """One `Conv1d` per width over the token embeddings, each ReLU'd and max-pooled over the positions.

    A window that reaches past the context (into padding) is left out of the max; since the ReLU output is never
    negative, zeroing such windows leaves it out. A context shorter than a width gives 0 for that width's filters.

    Reads `config.embedding_dim`, `config.num_filters`, `config.filter_sizes`.
    """

    def __init__(self, config: TextCNNConfig):
        super().__init__()
        self.filter_sizes = list(config.filter_sizes)
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embedding_dim, config.num_filters, width) for width in config.filter_sizes
        )

    def forward(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """`embeddings` `(batch, length, dim)`, `mask` `(batch, length)` True at tokens. Returns
        `(batch, num_filters * len(filter_sizes))`."""
        shortfall = max(self.filter_sizes) - embeddings.shape[1]
        if shortfall > 0:  # every width needs at least one window
            embeddings = nn.functional.pad(embeddings, (0, 0, 0, shortfall))
            mask = nn.functional.pad(mask, (0, shortfall), value=False)
        channels = embeddings.transpose(1, 2)  # (batch, dim, length)
        pooled = []
        for width, conv in zip(self.filter_sizes, self.convs):
            features = torch.relu(conv(channels))  # (batch, num_filters, length - width + 1)
            inside = mask.unfold(1, width, 1).all(-1)  # (batch, length - width + 1): window within the context
            pooled.append((features * inside.unsqueeze(1)).amax(dim=-1))
        return torch.cat(pooled, dim=-1)


@dataclass
class TextCNNModelOutput(ModelOutput):
    """
    Args:
        pooler_output (`torch.FloatTensor` of shape `(batch_size, num_filters * len(filter_sizes))`):
            The max-pooled convolution features of each context (before dropout).
    """

    pooler_output: torch.FloatTensor | None = None


@dataclass
class TextCNNRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue.
        pooler_output (`torch.FloatTensor` of shape `(batch_size, num_filters * len(filter_sizes))`):
            The max-pooled convolution features the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None


class TextCNNPreTrainedModel(CRSPreTrainedModel):
    config_class = TextCNNConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        # CRSLab's initialisation, PyTorch's defaults: N(0, 1) embeddings, Kaiming-uniform weights and uniform biases
        # in +-1/sqrt(fan_in). At the base class's N(0, 0.02), three stacked layers start with a vanishing signal.
        if isinstance(module, nn.Embedding):
            init.normal_(module.weight)
        elif isinstance(module, (nn.Conv1d, nn.Linear)):
            init.kaiming_uniform_(module.weight, a=math.sqrt(5))
            bound = 1.0 / math.sqrt(module.weight[0].numel())
            init.uniform_(module.bias, -bound, bound)


class TextCNNModel(TextCNNPreTrainedModel):
    """Token embeddings and the pooled convolutions: one feature vector per context."""

    _keys_to_ignore_on_load_unexpected = [r"^rec_head\."]  # loading the base of a recommender checkpoint

    def __init__(self, config: TextCNNConfig):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.convolutions = TextCNNConvolutions(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> TextCNNModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the dataset's word-level vocabulary, padded with `config.pad_token_id`.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        """
        check_token_ids(input_ids, attention_mask, self.config.vocab_size)
        mask = input_ids != self.config.pad_token_id if attention_mask is None else attention_mask.bool()
        return TextCNNModelOutput(pooler_output=self.convolutions(self.embed_tokens(input_ids), mask))


class TextCNNForRecommendation(TextCNNPreTrainedModel):
    """Scores the catalogue with a linear layer over the dropped-out pooled features (CRSLab's `fc`)."""

    def __init__(self, config: TextCNNConfig):
        super().__init__(config)
        self.model = TextCNNModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.rec_head = nn.Linear(config.num_filters * len(config.filter_sizes), config.n_items)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        rec_labels: torch.LongTensor | None = None,
    ) -> TextCNNRecommendationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the dataset's word-level vocabulary, padded with `config.pad_token_id`.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue; -100 is ignored. A turn recommending several items becomes one
            row per item, as in CRSLab.
        """
        pooled = self.model(input_ids, attention_mask).pooler_output
        rec_logits = self.rec_head(self.dropout(pooled))
        loss = None
        if rec_labels is not None:
            check_rec_labels(rec_labels, self.config.n_items, rec_logits.shape[0])
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return TextCNNRecommendationOutput(loss=loss, rec_logits=rec_logits, pooler_output=pooled)


__all__ = ["TextCNNForRecommendation", "TextCNNModel", "TextCNNPreTrainedModel", "check_token_ids"]
