"""GRU4Rec (Hidasi et al., "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016), as CRSLab's
`crslab/model/recommendation/gru4rec/gru4rec.py` builds it.

The user's item sequence x_1..x_n (TG-ReDial's interaction history, then the items mentioned in the context, the
most recent `max_seq_length` kept; `crs_hf.models.layers.item_sequence`) is embedded and read by a stacked GRU;
the state after the last item scores every catalogue item by a dot product with its embedding:

    h_t = GRU(e_{x_1}, ..., e_{x_t}),    rec_logits[i] = h_n . e_i

An empty sequence is read as one padding item (CRSLab's padding id 0 with length 1). The loss (`loss_type="bce"`)
is CRSLab's: h_t targets x_{t+1}, h_n the gold item, each against one negative drawn from the items not in the
sequence, by binary cross-entropy.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers.utils import logging

from crs_hf.models.layers import init_gru_
from crs_hf.models.layers.item_sequence import (
    CRSSequenceModelOutput,
    CRSSequentialRecommenderMixin,
    item_sequences,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_gru4rec import GRU4RecConfig

logger = logging.get_logger(__name__)


class GRU4RecPreTrainedModel(CRSPreTrainedModel):
    config_class = GRU4RecConfig
    base_model_prefix = "model"
    main_input_name = "context_item_positions"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)  # item embeddings: N(0, initializer_range)
        if isinstance(module, nn.GRU):
            init_gru_(module)


class GRU4RecModel(GRU4RecPreTrainedModel):
    """Item embeddings (`n_items` + the padding item) and the GRU over the user's item sequence."""

    def __init__(self, config: GRU4RecConfig):
        super().__init__(config)
        self.item_embeddings = nn.Embedding(config.n_items + 1, config.hidden_size)
        self.gru = nn.GRU(config.hidden_size, config.hidden_size, config.num_layers, batch_first=True,
                          dropout=config.dropout_hidden)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.item_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.item_embeddings = value

    def forward(self, context_item_positions: torch.LongTensor,
                history_item_positions: torch.LongTensor | None = None) -> CRSSequenceModelOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`):
            Catalogue positions of the items mentioned so far, in dialog order, padded with -1.
        history_item_positions (`torch.LongTensor` of shape `(batch_size, num_history_items)`, *optional*):
            Catalogue positions of the user's earlier interactions (TG-ReDial), padded with -1; read before the
            context items.
        """
        sequence = item_sequences(context_item_positions, history_item_positions, self.config.n_items,
                                  self.config.max_seq_length, left_aligned=True)
        lengths = sequence.mask.sum(1).clamp(min=1)  # an empty sequence reads its padding item
        packed = pack_padded_sequence(self.item_embeddings(sequence.ids), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        states, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=sequence.ids.shape[1])
        rows = torch.arange(states.shape[0], device=states.device)
        return CRSSequenceModelOutput(last_hidden_state=states, sequence_embedding=states[rows, sequence.last],
                                      item_sequence=sequence)


class GRU4RecForRecommendation(CRSSequentialRecommenderMixin, GRU4RecPreTrainedModel):
    """rec_logits = (GRU state after the last item) . item embeddings; CRSLab's next-item loss. Its `forward`, from
    `CRSSequentialRecommenderMixin`, returns a `CRSSequentialRecommendationOutput`."""

    def __init__(self, config: GRU4RecConfig):
        super().__init__(config)
        self.model = GRU4RecModel(config)
        self.post_init()


__all__ = ["GRU4RecForRecommendation", "GRU4RecModel", "GRU4RecPreTrainedModel"]
