"""KBRD (Chen et al., "Towards Knowledge-Based Recommender Dialog System", EMNLP 2019), as CRSLab builds it.

An R-GCN encodes every entity of the knowledge graph; self-attention pools the entities mentioned in the context
into a user vector. [`KBRDForRecommendation`] scores the item catalogue with it; [`KBRDForConversation`] is a
transformer encoder-decoder whose vocabulary logits get a per-user bias computed from it. Both heads share the
base [`KBRDModel`] (prefix `model.`), so a conversation model starts from a trained recommender with
`KBRDForConversation.from_pretrained(recommender_dir)`; CRSLab then freezes it (`model.model.requires_grad_(False)`).

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers.cache_utils import EncoderDecoderCache
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import (
    CRSEntityGraphEncoder,
    CRSEntityScorer,
    CRSFeedForward,
    CRSGenerationEncoder,
    CRSMultiHeadAttention,
    CRSPositionEmbedding,
    CRSRelationalGraphConv,
    CRSSelfAttentionPooling,
    CRSSeq2SeqGenerationMixin,
    CRSTokenEmbedding,
    CRSTransformerDecoder,
    CRSTransformerEncoder,
    check_logits_to_keep,
    context_attention_mask,
    last_positions,
    prepare_decoder_inputs,
    token_cross_entropy,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_kbrd import KBRDConfig

logger = logging.get_logger(__name__)


@dataclass
class KBRDModelOutput(ModelOutput):
    """
    Args:
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            Attention-pooled R-GCN vectors of the context entities (zeros for a context without entities).
        entity_embeddings (`torch.FloatTensor` of shape `(n_entity, kg_emb_dim)`):
            R-GCN output for every entity.
    """

    user_embedding: torch.FloatTensor | None = None
    entity_embeddings: torch.FloatTensor | None = None


@dataclass
class KBRDRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue (`config.item_ids` order).
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


@dataclass
class KBRDEncoderOutput(ModelOutput):
    """What the decoder attends to; computed once per batch by `generate()`.

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens (zero at padding).
        attention_mask (`torch.BoolTensor` of shape `(batch_size, context_length)`):
            True at context tokens.
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector that biases the vocabulary.
        vocabulary_bias (`torch.FloatTensor` of shape `(batch_size, vocab_size)`):
            `MLP(user_embedding)`, the bias added to every position's logits: computed here once, not per token.
    """

    last_hidden_state: torch.FloatTensor | None = None
    attention_mask: torch.BoolTensor | None = None
    user_embedding: torch.FloatTensor | None = None
    vocabulary_bias: torch.FloatTensor | None = None


@dataclass
class KBRDConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Next-token scores: tied output embedding plus the user's vocabulary bias (the last `logits_to_keep`
            positions only, when given).
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
KBRD_INITIALIZED_LAYERS = (
    CRSEntityScorer, CRSFeedForward, CRSMultiHeadAttention, CRSPositionEmbedding, CRSRelationalGraphConv,
    CRSSelfAttentionPooling, CRSTokenEmbedding,
)


class KBRDPreTrainedModel(CRSPreTrainedModel):
    config_class = KBRDConfig
    base_model_prefix = "model"
    main_input_name = "context_entities"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, KBRD_INITIALIZED_LAYERS):
            module.reset_parameters()

    def set_entity_graph(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> None:
        """Stores the entity graph: `edge_index` `(2, num_edges)` from source to target entity, `edge_type`
        `(num_edges,)` relation ids, e.g. from `crs_hf.data.load_graph(name)`. Sets `config.n_entity_edges`."""
        self.base_model.entity_encoder.set_graph(edge_index, edge_type)


class KBRDModel(KBRDPreTrainedModel):
    """The knowledge part shared by both heads: R-GCN entity vectors and the attention-pooled user vector."""

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.entity_encoder = CRSEntityGraphEncoder(config)
        self.user_attention = CRSSelfAttentionPooling(config)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor) -> KBRDModelOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        """
        if context_entities is None:
            raise ValueError("KBRD needs context_entities: (batch, num_entities) entity ids padded with pad_entity_id")
        entity_embeddings = self.entity_encoder()
        mask = context_entities != self.config.pad_entity_id
        user_embedding = self.user_attention(entity_embeddings[context_entities], mask)
        return KBRDModelOutput(user_embedding=user_embedding, entity_embeddings=entity_embeddings)


class KBRDForRecommendation(KBRDPreTrainedModel):
    """Scores each item by `user . entity_vector(item) + bias(item)` (CRSLab: `F.linear(user, kg, rec_bias.bias)`)."""

    _keys_to_ignore_on_load_unexpected = [r"^(embed_tokens|conv_encoder|conv_decoder|user_proj_1|user_proj_2)\."]

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.model = KBRDModel(config)
        self.item_scorer = CRSEntityScorer(config, config.item_ids)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor, rec_labels: torch.LongTensor | None = None
                ) -> KBRDRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`, not an entity id); -100 is
            ignored. A turn recommending several items becomes one row per item, as in CRSLab.
        """
        outputs = self.model(context_entities)
        rec_logits = self.item_scorer(outputs.user_embedding, outputs.entity_embeddings)
        loss = None
        if rec_labels is not None:
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return KBRDRecommendationOutput(loss=loss, rec_logits=rec_logits, user_embedding=outputs.user_embedding)


class KBRDForConversation(KBRDPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """Transformer encoder-decoder; `logits = h W_emb^T + MLP(user)`, KBRD's user-aware vocabulary bias."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`
    _keys_to_ignore_on_load_unexpected = [r"^item_scorer\."]

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.model = KBRDModel(config)
        self.embed_tokens = CRSTokenEmbedding(config)
        self.conv_encoder = CRSTransformerEncoder(config)
        self.conv_decoder = CRSTransformerDecoder(config, n_memories=1)
        self.user_proj_1 = nn.Linear(config.kg_emb_dim, config.user_proj_dim)
        self.user_proj_2 = nn.Linear(config.user_proj_dim, config.vocab_size)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def get_encoder(self) -> CRSGenerationEncoder:
        return CRSGenerationEncoder(self.encode)

    def encode(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> KBRDEncoderOutput:
        """Encodes the context tokens and the context entities (the graph runs once per batch here)."""
        if output_attentions or output_hidden_states:
            raise ValueError("KBRD returns neither attentions nor per-layer hidden states")
        mask = context_attention_mask(input_ids, attention_mask, self.config.pad_token_id)
        hidden_states = self.conv_encoder(self.embed_tokens(input_ids), mask)
        user_embedding = self.model(context_entities).user_embedding
        return KBRDEncoderOutput(last_hidden_state=hidden_states, attention_mask=mask, user_embedding=user_embedding,
                                 vocabulary_bias=self.vocabulary_bias(user_embedding))

    def vocabulary_bias(self, user_embedding: torch.Tensor) -> torch.Tensor:
        """KBRD's user-aware bias of every token, `(batch, vocab_size)`: `W2 relu(W1 user + b1) + b2`."""
        return self.user_proj_2(torch.relu(self.user_proj_1(user_embedding)))

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: KBRDEncoderOutput | None = None,
        past_key_values: EncoderDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> KBRDConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`KBRDEncoderOutput`, *optional*):
            Output of `encode`, reused across decoding steps.
        past_key_values (`EncoderDecoderCache`, *optional*):
            Cache of the previous decoding steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The response followed by `eos_token_id`, padded with -100.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        logits_to_keep (`int`, *optional*, defaults to 0):
            Logits for the last this many positions only (`generate()` passes 1); 0 keeps every position.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always a `KBRDConversationOutput`.
        """
        check_logits_to_keep(logits_to_keep, labels)
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, context_entities)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        memories = [(encoder_outputs.last_hidden_state, encoder_outputs.attention_mask)]
        hidden_states, past_key_values = self.conv_decoder.decode(self.embed_tokens(decoder_input_ids), memories,
                                                                  past_key_values, use_cache)
        hidden_states = last_positions(hidden_states, logits_to_keep)
        user_bias = encoder_outputs.vocabulary_bias
        if user_bias is None:  # encoder outputs built elsewhere
            user_bias = self.vocabulary_bias(encoder_outputs.user_embedding)
        logits = hidden_states @ self.embed_tokens.weight.t() + user_bias.unsqueeze(1)
        loss = None if labels is None else token_cross_entropy(logits, labels, num_items_in_batch)
        return KBRDConversationOutput(
            loss=loss,
            logits=logits,
            past_key_values=past_key_values,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
            user_embedding=encoder_outputs.user_embedding,
        )


__all__ = ["KBRDForConversation", "KBRDForRecommendation", "KBRDModel", "KBRDPreTrainedModel"]
