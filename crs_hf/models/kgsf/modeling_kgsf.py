"""KGSF (Zhou et al., "Improving Conversational Recommender Systems via Knowledge Graph based Semantic Fusion",
KDD 2020), as CRSLab builds it.

An R-GCN encodes the entity graph (DBpedia) and a GCN the word graph (ConceptNet); self-attention pools the context
entities and the context words into two user vectors. Training runs in three stages on one base [`KGSFModel`]
(prefix `model.`): [`KGSFForPretraining`] aligns the two graphs by predicting the context entities from the word
vector (KGSF's mutual-information objective, CRSLab's MSE form); [`KGSFForRecommendation`] gates the two user
vectors into one that scores the items, plus the same objective weighted by `infomax_weight`;
[`KGSFForConversation`] decodes the response with attention to the context entities, the context words and the
encoded context, and adds copy scores over KG words. Each stage starts from the last with `from_pretrained`; CRSLab
freezes the graph part for the conversation stage (`model.model.requires_grad_(False)`).

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.cache_utils import EncoderDecoderCache
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import (
    CRSCopyHead,
    CRSEntityGraphEncoder,
    CRSEntityScorer,
    CRSFeedForward,
    CRSGenerationEncoder,
    CRSGraphConv,
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
    CRSWordGraphEncoder,
    prepare_decoder_inputs,
    token_cross_entropy,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_kgsf import KGSFConfig

logger = logging.get_logger(__name__)


def infomax_loss(
    logits: torch.Tensor, entity_ids: torch.Tensor, pad_entity_id: int, target: str = "distribution"
) -> torch.Tensor:
    """KGSF's mutual-information term: the squared error between `(batch, n_entity)` logits and a target built
    from `entity_ids` (padding and negative ids ignored, repeats counted once), summed over the whole batch, then
    divided by the target's total weight; zero (and no gradient) when no row has an entity, where CRSLab skipped the
    step. `target="distribution"` (CRSLab's `get_onehot`): each of a row's n entities weighs 1/n, so the sum is
    divided by the number of rows with entities. `target="multi_hot"`: each weighs 1, and the sum is divided by the
    number of (row, entity) targets."""
    if target not in ("distribution", "multi_hot"):
        raise ValueError(f"target must be 'distribution' or 'multi_hot', but got {target!r}")
    valid = (entity_ids != pad_entity_id) & (entity_ids >= 0)
    ids = entity_ids.masked_fill(~valid, pad_entity_id)
    targets = torch.zeros_like(logits, dtype=torch.float).scatter_(1, ids, valid.float())  # multi-hot, repeats once
    if target == "distribution":
        targets = targets / targets.sum(dim=1, keepdim=True).clamp(min=1)
    weight = targets.sum()
    return (logits.float() - targets).pow(2).sum() / weight.clamp(min=1) * (weight > 0)  # weight is 0 or >= 1


class KGSFGateLayer(nn.Module):
    """`g = sigmoid(w2 . W1 [e; w])`, `user = g * e + (1 - g) * w`: KGSF's fusion of entity and word user vectors."""

    def __init__(self, config: KGSFConfig):
        super().__init__()
        self.norm_layer1 = nn.Linear(2 * config.kg_emb_dim, config.kg_emb_dim)
        self.norm_layer2 = nn.Linear(config.kg_emb_dim, 1)

    def forward(self, entity_user: torch.Tensor, word_user: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.norm_layer2(self.norm_layer1(torch.cat([entity_user, word_user], dim=-1))))
        return gate * entity_user + (1 - gate) * word_user


@dataclass
class KGSFModelOutput(ModelOutput):
    """
    Args:
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`, with both entities and words):
            Gated fusion of the two user vectors.
        entity_user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`, with `context_entities`):
            Attention-pooled R-GCN vectors of the context entities (zeros without entities).
        word_user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`, with `context_words`):
            Attention-pooled GCN vectors of the context words (zeros without words).
        entity_embeddings (`torch.FloatTensor` of shape `(n_entity, kg_emb_dim)`):
            R-GCN output for every entity.
        word_embeddings (`torch.FloatTensor` of shape `(n_word, kg_emb_dim)`, with `context_words`):
            GCN output for every word.
    """

    user_embedding: torch.FloatTensor | None = None
    entity_user_embedding: torch.FloatTensor | None = None
    word_user_embedding: torch.FloatTensor | None = None
    entity_embeddings: torch.FloatTensor | None = None
    word_embeddings: torch.FloatTensor | None = None


@dataclass
class KGSFPretrainingOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `entity_labels` is given):
            The mutual-information term (see `infomax_loss`).
        infomax_logits (`torch.FloatTensor` of shape `(batch_size, n_entity)`):
            Every entity's score from the word user vector.
    """

    loss: torch.FloatTensor | None = None
    infomax_logits: torch.FloatTensor | None = None


@dataclass
class KGSFRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            `rec_loss + config.infomax_weight * infomax_loss`.
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue (`config.item_ids` order).
        rec_loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels`.
        infomax_loss (`torch.FloatTensor` of shape `()`):
            Mutual-information term predicting the context entities from the words.
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The gated user vector.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    rec_loss: torch.FloatTensor | None = None
    infomax_loss: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


@dataclass
class KGSFEncoderOutput(ModelOutput):
    """The decoder's three memories and the two projected user vectors; computed once per batch by `generate()`.

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
        attention_mask (`torch.BoolTensor` of shape `(batch_size, context_length)`):
            True at context tokens.
        entity_states (`torch.FloatTensor` of shape `(batch_size, num_entities, token_emb_dim)`):
            Projected R-GCN vectors of the context entities.
        entity_mask (`torch.BoolTensor` of shape `(batch_size, num_entities)`):
            True at context entities.
        word_states (`torch.FloatTensor` of shape `(batch_size, num_words, token_emb_dim)`):
            Projected GCN vectors of the context words.
        word_mask (`torch.BoolTensor` of shape `(batch_size, num_words)`):
            True at context words.
        entity_user_embedding (`torch.FloatTensor` of shape `(batch_size, token_emb_dim)`):
            Projected entity user vector (input of the copy mechanism).
        word_user_embedding (`torch.FloatTensor` of shape `(batch_size, token_emb_dim)`):
            Projected word user vector (input of the copy mechanism).
    """

    last_hidden_state: torch.FloatTensor | None = None
    attention_mask: torch.BoolTensor | None = None
    entity_states: torch.FloatTensor | None = None
    entity_mask: torch.BoolTensor | None = None
    word_states: torch.FloatTensor | None = None
    word_mask: torch.BoolTensor | None = None
    entity_user_embedding: torch.FloatTensor | None = None
    word_user_embedding: torch.FloatTensor | None = None


@dataclass
class KGSFConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Generation scores (tied output embedding) plus copy scores (the last `logits_to_keep` positions only,
            when given).
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
KGSF_INITIALIZED_LAYERS = (
    CRSCopyHead, CRSEntityScorer, CRSFeedForward, CRSGraphConv, CRSMultiHeadAttention, CRSPositionEmbedding,
    CRSRelationalGraphConv, CRSSelfAttentionPooling, CRSTokenEmbedding, CRSWordGraphEncoder,
)


class KGSFPreTrainedModel(CRSPreTrainedModel):
    config_class = KGSFConfig
    base_model_prefix = "model"
    main_input_name = "context_entities"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, KGSF_INITIALIZED_LAYERS):
            module.reset_parameters()

    def set_entity_graph(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> None:
        """Stores the entity graph (`edge_index` `(2, num_edges)` source -> target, `edge_type` `(num_edges,)`)."""
        self.base_model.entity_encoder.set_graph(edge_index, edge_type)

    def set_word_graph(self, edge_index: torch.Tensor) -> None:
        """Stores the word graph (`edge_index` `(2, num_edges)`; relation types are not used)."""
        self.base_model.word_encoder.set_graph(edge_index)


class KGSFModel(KGSFPreTrainedModel):
    """The two graph encoders, their attention pooling and the gate: the part shared by the three heads."""

    def __init__(self, config: KGSFConfig):
        super().__init__(config)
        self.entity_encoder = CRSEntityGraphEncoder(config)
        self.word_encoder = CRSWordGraphEncoder(config)
        self.entity_attention = CRSSelfAttentionPooling(config)
        self.word_attention = CRSSelfAttentionPooling(config)
        self.gate = KGSFGateLayer(config)
        self.post_init()

    def forward(
        self, context_entities: torch.LongTensor | None = None, context_words: torch.LongTensor | None = None
    ) -> KGSFModelOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`, *optional*):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`, *optional*):
            Word-graph ids of the context words, padded with `config.pad_word_id`.
        """
        entity_embeddings = self.entity_encoder()
        entity_user = word_user = word_embeddings = user = None
        if context_entities is not None:
            mask = context_entities != self.config.pad_entity_id
            entity_user = self.entity_attention(entity_embeddings[context_entities], mask)
        if context_words is not None:
            word_embeddings = self.word_encoder()
            word_user = self.word_attention(word_embeddings[context_words], context_words != self.config.pad_word_id)
        if entity_user is not None and word_user is not None:
            user = self.gate(entity_user, word_user)
        return KGSFModelOutput(user_embedding=user, entity_user_embedding=entity_user, word_user_embedding=word_user,
                               entity_embeddings=entity_embeddings, word_embeddings=word_embeddings)


class KGSFForPretraining(KGSFPreTrainedModel):
    """Predicts the context entities from the word user vector (stage 1 of KGSF's training)."""

    main_input_name = "context_words"
    _keys_to_ignore_on_load_unexpected = [r"^item_scorer\."]

    def __init__(self, config: KGSFConfig):
        super().__init__(config)
        self.model = KGSFModel(config)
        self.infomax_norm = nn.Linear(config.kg_emb_dim, config.kg_emb_dim)
        self.infomax_scorer = CRSEntityScorer(config, None)
        self.post_init()

    def forward(self, context_words: torch.LongTensor, entity_labels: torch.LongTensor | None = None
                ) -> KGSFPretrainingOutput:
        r"""
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`):
            Word-graph ids of the context words, padded with `config.pad_word_id`.
        entity_labels (`torch.LongTensor` of shape `(batch_size, num_entities)`, *optional*):
            The entities to predict (CRSLab: the context entities), padded with `config.pad_entity_id` or -100.
        """
        outputs = self.model(context_words=context_words)
        logits = self.infomax_scorer(self.infomax_norm(outputs.word_user_embedding), outputs.entity_embeddings)
        loss = None
        if entity_labels is not None:
            loss = infomax_loss(logits, entity_labels, self.config.pad_entity_id, self.config.infomax_target)
        return KGSFPretrainingOutput(loss=loss, infomax_logits=logits)


class KGSFForRecommendation(KGSFPreTrainedModel):
    """Scores the items with the gated user vector; the loss adds the mutual-information term (stage 2)."""

    def __init__(self, config: KGSFConfig):
        super().__init__(config)
        self.model = KGSFModel(config)
        self.infomax_norm = nn.Linear(config.kg_emb_dim, config.kg_emb_dim)
        self.infomax_scorer = CRSEntityScorer(config, None)
        self.item_scorer = CRSEntityScorer(config, config.item_ids)
        self.post_init()

    def forward(
        self,
        context_entities: torch.LongTensor,
        context_words: torch.LongTensor,
        rec_labels: torch.LongTensor | None = None,
    ) -> KGSFRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`; also the entities the
            mutual-information term predicts.
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`):
            Word-graph ids of the context words, padded with `config.pad_word_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`); -100 is ignored.
        """
        outputs = self.model(context_entities, context_words)
        rec_logits = self.item_scorer(outputs.user_embedding, outputs.entity_embeddings)
        infomax_logits = self.infomax_scorer(self.infomax_norm(outputs.word_user_embedding), outputs.entity_embeddings)
        info_loss = infomax_loss(infomax_logits, context_entities, self.config.pad_entity_id,
                                 self.config.infomax_target)
        loss = rec_loss = None
        if rec_labels is not None:
            rec_loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
            loss = rec_loss + self.config.infomax_weight * info_loss
        return KGSFRecommendationOutput(loss=loss, rec_logits=rec_logits, rec_loss=rec_loss, infomax_loss=info_loss,
                                        user_embedding=outputs.user_embedding)


class KGSFForConversation(KGSFPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """Transformer decoder over the context entities, the context words and the context, plus KGSF's copy scores."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`
    _keys_to_ignore_on_load_unexpected = [r"^(item_scorer|infomax_scorer|infomax_norm)\."]

    def __init__(self, config: KGSFConfig):
        super().__init__(config)
        self.model = KGSFModel(config)
        self.embed_tokens = CRSTokenEmbedding(config)
        self.conv_encoder = CRSTransformerEncoder(config)
        self.conv_entity_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        self.conv_entity_attn_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        self.conv_word_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        self.conv_word_attn_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        self.conv_decoder = CRSTransformerDecoder(config, n_memories=3)  # entities, words, context (KGSF's order)
        self.copy_head = CRSCopyHead(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def set_copy_mask(self, copy_mask: torch.Tensor) -> None:
        """Which tokens the copy mechanism may score: a `(vocab_size,)` bool tensor (KGSF's `copy_mask.npy`)."""
        self.copy_head.set_copy_mask(copy_mask)

    def get_encoder(self) -> CRSGenerationEncoder:
        return CRSGenerationEncoder(self.encode)

    def encode(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        context_words: torch.LongTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> KGSFEncoderOutput:
        """Encodes the context tokens and runs both graphs (once per batch)."""
        if output_attentions or output_hidden_states:
            raise ValueError("KGSF returns neither attentions nor per-layer hidden states")
        if context_entities is None or context_words is None:
            raise ValueError("KGSFForConversation needs context_entities and context_words (padded id tensors)")
        mask = context_attention_mask(input_ids, attention_mask, self.config.pad_token_id)
        graph = self.model(context_entities, context_words)
        return KGSFEncoderOutput(
            last_hidden_state=self.conv_encoder(self.embed_tokens(input_ids), mask),
            attention_mask=mask,
            entity_states=self.conv_entity_norm(graph.entity_embeddings[context_entities]),
            entity_mask=context_entities != self.config.pad_entity_id,
            word_states=self.conv_word_norm(graph.word_embeddings[context_words]),
            word_mask=context_words != self.config.pad_word_id,
            entity_user_embedding=self.conv_entity_attn_norm(graph.entity_user_embedding),
            word_user_embedding=self.conv_word_attn_norm(graph.word_user_embedding),
        )

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        context_words: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: KGSFEncoderOutput | None = None,
        past_key_values: EncoderDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> KGSFConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`):
            Word-graph ids of the context words, padded with `config.pad_word_id`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`KGSFEncoderOutput`, *optional*):
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
            Accepted for `generate()`; the output is always a `KGSFConversationOutput`.
        """
        check_logits_to_keep(logits_to_keep, labels)
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, context_entities, context_words)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        memories = [
            (encoder_outputs.entity_states, encoder_outputs.entity_mask),
            (encoder_outputs.word_states, encoder_outputs.word_mask),
            (encoder_outputs.last_hidden_state, encoder_outputs.attention_mask),
        ]
        hidden_states, past_key_values = self.conv_decoder.decode(self.embed_tokens(decoder_input_ids), memories,
                                                                  past_key_values, use_cache)
        hidden_states = last_positions(hidden_states, logits_to_keep)
        logits = hidden_states @ self.embed_tokens.weight.t() + self.copy_head(
            hidden_states, encoder_outputs.entity_user_embedding, encoder_outputs.word_user_embedding
        )
        loss = None if labels is None else token_cross_entropy(logits, labels, num_items_in_batch)
        return KGSFConversationOutput(
            loss=loss,
            logits=logits,
            past_key_values=past_key_values,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
        )


__all__ = [
    "KGSFForConversation",
    "KGSFForPretraining",
    "KGSFForRecommendation",
    "KGSFModel",
    "KGSFPreTrainedModel",
    "infomax_loss",
]
