"""NTRD (Liang et al., "Learning Neural Templates for Recommender Dialogue System", EMNLP 2021), as CRSLab builds
it on top of KGSF.

The knowledge part is KGSF's (an R-GCN over the entity graph; with `config.use_word_graph` a GCN over the word
graph, the attention pooling and the gate, `crs_hf.models.kgsf`), trained in KGSF's stages on one base
[`NTRDModel`] (prefix `model.`): [`NTRDForPretraining`] aligns the two graphs by mutual information,
[`NTRDForRecommendation`] scores the item catalogue. [`NTRDForConversation`] decouples the response from the
items: a KGSF decoder (KG attention and copy) writes a *template*, the response with the item placeholder
(`config.item_token_id`) where an item goes, and an item selector fills each placeholder: the decoder state that
predicts the placeholder attends to the knowledge (the context words, or the context entities without a word
graph) and to the encoded context, and a linear layer scores the catalogue. The conversation loss is
`gen_loss_weight * token cross-entropy + selection_loss_weight * selector cross-entropy` (CRSLab's `NTRDSystem`).
`generate()` writes templates; `fill_slots` picks the item of each placeholder a template holds.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.cache_utils import EncoderDecoderCache
from transformers.utils import ModelOutput, logging

from crs_hf.models.kgsf.modeling_kgsf import (
    KGSFEncoderOutput,
    KGSFForPretraining,
    KGSFGateLayer,
    KGSFModelOutput,
    KGSFPreTrainedModel,
    KGSFRecommendationOutput,
    infomax_loss,
)
from crs_hf.models.layers import (
    CRSCopyHead,
    CRSEntityGraphEncoder,
    CRSEntityScorer,
    CRSFeedForward,
    CRSGenerationEncoder,
    CRSMultiHeadAttention,
    CRSSelfAttentionPooling,
    CRSSeq2SeqGenerationMixin,
    CRSTokenEmbedding,
    CRSTransformerDecoder,
    CRSTransformerEncoder,
    CRSWordGraphEncoder,
    check_logits_to_keep,
    context_attention_mask,
    last_positions,
    prepare_decoder_inputs,
    token_cross_entropy,
)

from .configuration_ntrd import NTRDConfig

logger = logging.get_logger(__name__)

NO_ITEM = -1  # padding of `response_item_positions` and of `fill_slots`' output
UNKNOWN_ITEM = -100  # a slot whose item is not known (not in the catalogue, or mentions not matched to items)


@dataclass
class NTRDConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            `gen_loss_weight * gen_loss + selection_loss_weight * selection_loss` (the selection term where
            `response_item_positions` is given).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Template token scores: tied output embedding plus copy scores (the last `logits_to_keep` positions
            only, when given).
        slot_logits (`torch.FloatTensor` of shape `(num_slots, n_items)`, returned with `response_item_positions`):
            The selector's catalogue scores at every placeholder of `labels`, row by row, in order.
        gen_loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        selection_loss (`torch.FloatTensor` of shape `()`, returned with `response_item_positions`):
            Cross-entropy of `slot_logits` against the known items of the slots (0 without any).
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    slot_logits: torch.FloatTensor | None = None
    gen_loss: torch.FloatTensor | None = None
    selection_loss: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None


class NTRDSelectorLayer(nn.Module):
    """Attention to the knowledge, then to the encoded context, then the feed-forward; each post-norm with a
    residual (CRSLab's `TransformerDecoderLayerSelection`: no self-attention)."""

    def __init__(self, config: NTRDConfig):
        super().__init__()
        dim = config.token_emb_dim
        self.knowledge_attention = CRSMultiHeadAttention(config)
        self.knowledge_norm = nn.LayerNorm(dim)
        self.context_attention = CRSMultiHeadAttention(config)
        self.context_norm = nn.LayerNorm(dim)
        self.ffn = CRSFeedForward(config)
        self.ffn_norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor, knowledge: tuple[torch.Tensor, torch.Tensor],
                context: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        for attention, norm, (states, mask) in ((self.knowledge_attention, self.knowledge_norm, knowledge),
                                                (self.context_attention, self.context_norm, context)):
            attended = attention(hidden_states, mask[:, None, :], key_value_states=states)
            hidden_states = norm(hidden_states + self.dropout(attended))
        return self.ffn_norm(hidden_states + self.dropout(self.ffn(hidden_states)))


class NTRDItemSelector(nn.Module):
    """NTRD's item selector: `n_layers` selector layers over the decoder states, then catalogue scores
    (CRSLab's `movie_selector` + `matching_linear`, here over `config.item_ids` instead of every entity)."""

    def __init__(self, config: NTRDConfig):
        super().__init__()
        self.layers = nn.ModuleList(NTRDSelectorLayer(config) for _ in range(config.n_layers))
        self.item_output = nn.Linear(config.token_emb_dim, config.n_items)

    def forward(self, hidden_states: torch.Tensor, knowledge: tuple[torch.Tensor, torch.Tensor],
                context: tuple[torch.Tensor, torch.Tensor], slot_mask: torch.BoolTensor) -> torch.Tensor:
        """`hidden_states` `(batch, length, dim)`: the decoder states; `slot_mask` `(batch, length)`: the states
        that predict a placeholder. Returns `(num_slots, n_items)` scores, row by row, in order."""
        for layer in self.layers:
            hidden_states = layer(hidden_states, knowledge, context)
        return self.item_output(hidden_states[slot_mask])


class NTRDPreTrainedModel(KGSFPreTrainedModel):
    """KGSF's initialisation and graph setters, for NTRD's config."""

    config_class = NTRDConfig

    def set_word_graph(self, edge_index: torch.Tensor) -> None:
        """Stores the word graph (`edge_index` `(2, num_edges)`); only a model with `use_word_graph` has one."""
        if not self.config.use_word_graph:
            raise ValueError("this NTRD model has use_word_graph=False: it has no word graph to set")
        super().set_word_graph(edge_index)


class NTRDModel(NTRDPreTrainedModel):
    """The knowledge part shared by the three heads: KGSF's graph encoders, attention pooling and gate, the word
    graph only with `config.use_word_graph`."""

    def __init__(self, config: NTRDConfig):
        super().__init__(config)
        self.entity_encoder = CRSEntityGraphEncoder(config)
        self.entity_attention = CRSSelfAttentionPooling(config)
        if config.use_word_graph:
            self.word_encoder = CRSWordGraphEncoder(config)
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
            Word-graph ids of the context words, padded with `config.pad_word_id`; ignored without a word graph.

        The user vector is the gated fusion of both pooled vectors (with the word graph, given both inputs) or the
        pooled entity vector (without the word graph).
        """
        entity_embeddings = self.entity_encoder()
        entity_user = word_user = word_embeddings = None
        if context_entities is not None:
            mask = context_entities != self.config.pad_entity_id
            entity_user = self.entity_attention(entity_embeddings[context_entities], mask)
        if not self.config.use_word_graph:
            return KGSFModelOutput(user_embedding=entity_user, entity_user_embedding=entity_user,
                                   entity_embeddings=entity_embeddings)
        if self.word_encoder.edge_index.shape[1] == 0:
            raise ValueError("use_word_graph=True, but the word graph is empty: load it with set_word_graph "
                             "(train_crs: start from the pretrain stage, whose head loads the word KG) or set "
                             "use_word_graph=False")
        user = None
        if context_words is not None:
            word_embeddings = self.word_encoder()
            word_user = self.word_attention(word_embeddings[context_words], context_words != self.config.pad_word_id)
            if entity_user is not None:
                user = self.gate(entity_user, word_user)
        return KGSFModelOutput(user_embedding=user, entity_user_embedding=entity_user, word_user_embedding=word_user,
                               entity_embeddings=entity_embeddings, word_embeddings=word_embeddings)


def _needs_words(config: NTRDConfig, context_words: torch.Tensor | None, head: str) -> None:
    if config.use_word_graph and context_words is None:
        raise ValueError(f"{head} with use_word_graph=True needs context_words (padded word-graph ids)")


class NTRDForPretraining(NTRDPreTrainedModel):
    """KGSF's mutual-information pre-training: predicts the context entities from the word user vector."""

    main_input_name = "context_words"
    _keys_to_ignore_on_load_unexpected = [r"^item_scorer\."]

    def __init__(self, config: NTRDConfig):
        if not config.use_word_graph:
            raise ValueError("NTRDForPretraining aligns the word graph with the entity graph, but the config has "
                             "use_word_graph=False: skip the pretrain stage")
        super().__init__(config)
        self.model = NTRDModel(config)
        self.infomax_norm = nn.Linear(config.kg_emb_dim, config.kg_emb_dim)
        self.infomax_scorer = CRSEntityScorer(config, None)
        self.post_init()

    forward = KGSFForPretraining.forward  # KGSF's objective as it is: words -> entity scores, MSE to the entities


class NTRDForRecommendation(NTRDPreTrainedModel):
    """Scores the catalogue with the user vector; with the word graph the loss adds KGSF's mutual-information
    term (`rec_loss + infomax_weight * infomax_loss`, CRSLab's `NTRDSystem`)."""

    _keys_to_ignore_on_load_unexpected = [r"^(embed_tokens|conv_\w+|copy_head|selector)\."]

    def __init__(self, config: NTRDConfig):
        super().__init__(config)
        self.model = NTRDModel(config)
        if config.use_word_graph:
            self.infomax_norm = nn.Linear(config.kg_emb_dim, config.kg_emb_dim)
            self.infomax_scorer = CRSEntityScorer(config, None)
        self.item_scorer = CRSEntityScorer(config, config.item_ids)
        self.post_init()

    def forward(
        self,
        context_entities: torch.LongTensor,
        context_words: torch.LongTensor | None = None,
        rec_labels: torch.LongTensor | None = None,
    ) -> KGSFRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`; with the word graph also the
            entities the mutual-information term predicts.
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`, *optional*):
            Word-graph ids of the context words, padded with `config.pad_word_id`; needed with the word graph.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`); -100 is ignored.
        """
        _needs_words(self.config, context_words, type(self).__name__)
        outputs = self.model(context_entities, context_words)
        rec_logits = self.item_scorer(outputs.user_embedding, outputs.entity_embeddings)
        info_loss = None
        if self.config.use_word_graph:
            infomax_logits = self.infomax_scorer(self.infomax_norm(outputs.word_user_embedding),
                                                 outputs.entity_embeddings)
            info_loss = infomax_loss(infomax_logits, context_entities, self.config.pad_entity_id,
                                     self.config.infomax_target)
        loss = rec_loss = None
        if rec_labels is not None:
            rec_loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
            loss = rec_loss if info_loss is None else rec_loss + self.config.infomax_weight * info_loss
        return KGSFRecommendationOutput(loss=loss, rec_logits=rec_logits, rec_loss=rec_loss, infomax_loss=info_loss,
                                        user_embedding=outputs.user_embedding)


class NTRDForConversation(NTRDPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """KGSF's decoder writing templates (the item placeholder where an item goes), NTRD's item selector filling
    them, and the recommender kept for `fill_slots`' fallback."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`
    _keys_to_ignore_on_load_unexpected = [r"^(infomax_scorer|infomax_norm)\."]

    def __init__(self, config: NTRDConfig):
        super().__init__(config)
        self.model = NTRDModel(config)
        self.item_scorer = CRSEntityScorer(config, config.item_ids)  # the recommender's ranking, for fill_slots
        self.embed_tokens = CRSTokenEmbedding(config)
        self.conv_encoder = CRSTransformerEncoder(config)
        self.conv_entity_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        self.conv_entity_attn_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        if config.use_word_graph:
            self.conv_word_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
            self.conv_word_attn_norm = nn.Linear(config.kg_emb_dim, config.token_emb_dim)
        # memories in CRSLab's order: entities, (words,) context
        self.conv_decoder = CRSTransformerDecoder(config, n_memories=3 if config.use_word_graph else 2)
        self.copy_head = CRSCopyHead(config)
        self.selector = NTRDItemSelector(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def set_copy_mask(self, copy_mask: torch.Tensor) -> None:
        """Which tokens the copy mechanism may score (a `(vocab_size,)` bool tensor); never the item placeholder,
        which the selector fills (CRSLab sets `copy_mask[replace_token] = False`)."""
        copy_mask = torch.as_tensor(copy_mask).bool().clone()
        item = self.config.item_token_id
        if item is not None and copy_mask.dim() == 1 and len(copy_mask) > item:  # else set_copy_mask names the shape
            copy_mask[item] = False
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
        """Encodes the context tokens and runs the graphs (once per batch); without a word graph the word fields
        of the output are None."""
        if output_attentions or output_hidden_states:
            raise ValueError("NTRD returns neither attentions nor per-layer hidden states")
        return self._encode(input_ids, attention_mask, context_entities, context_words)[0]

    def _encode(self, input_ids, attention_mask, context_entities, context_words
                ) -> tuple[KGSFEncoderOutput, KGSFModelOutput]:
        if context_entities is None:
            raise ValueError("NTRDForConversation needs context_entities (padded entity ids)")
        _needs_words(self.config, context_words, type(self).__name__)
        mask = context_attention_mask(input_ids, attention_mask, self.config.pad_token_id)
        graph = self.model(context_entities, context_words)
        words = {}
        if self.config.use_word_graph:
            words = {"word_states": self.conv_word_norm(graph.word_embeddings[context_words]),
                     "word_mask": context_words != self.config.pad_word_id,
                     "word_user_embedding": self.conv_word_attn_norm(graph.word_user_embedding)}
        encoded = KGSFEncoderOutput(  # all fields at once: generate() expands (beam search) the ones set here
            last_hidden_state=self.conv_encoder(self.embed_tokens(input_ids), mask),
            attention_mask=mask,
            entity_states=self.conv_entity_norm(graph.entity_embeddings[context_entities]),
            entity_mask=context_entities != self.config.pad_entity_id,
            entity_user_embedding=self.conv_entity_attn_norm(graph.entity_user_embedding),
            **words,
        )
        return encoded, graph

    def _memories(self, encoded: KGSFEncoderOutput) -> list[tuple[torch.Tensor, torch.Tensor]]:
        memories = [(encoded.entity_states, encoded.entity_mask)]
        if self.config.use_word_graph:
            memories.append((encoded.word_states, encoded.word_mask))
        return [*memories, (encoded.last_hidden_state, encoded.attention_mask)]

    def _select(self, hidden_states: torch.Tensor, encoded: KGSFEncoderOutput, slot_mask: torch.BoolTensor
                ) -> torch.Tensor:
        """The selector's `(num_slots, n_items)` scores at the states `slot_mask` marks. It attends to the
        context words (CRSLab) or, without a word graph, to the context entities, then to the context."""
        knowledge = ((encoded.word_states, encoded.word_mask) if self.config.use_word_graph
                     else (encoded.entity_states, encoded.entity_mask))
        return self.selector(hidden_states, knowledge, (encoded.last_hidden_state, encoded.attention_mask), slot_mask)

    def _item_token_id(self) -> int:
        if self.config.item_token_id is None:
            raise ValueError("config.item_token_id is None: NTRD's selector needs the item placeholder token "
                             "(train_crs sets it from the head's item_placeholder)")
        return self.config.item_token_id

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
        response_item_positions: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> NTRDConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        context_words (`torch.LongTensor` of shape `(batch_size, num_words)`, *optional*):
            Word-graph ids of the context words, padded with `config.pad_word_id`; needed with the word graph.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Template tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`KGSFEncoderOutput`, *optional*):
            Output of `encode`, reused across decoding steps.
        past_key_values (`EncoderDecoderCache`, *optional*):
            Cache of the previous decoding steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The template (the response with `config.item_token_id` at each item) and `eos_token_id`, padded with
            -100.
        response_item_positions (`torch.LongTensor` of shape `(batch_size, num_slots)`, *optional*, with `labels`):
            Catalogue position of the item at each placeholder of `labels`, in order, padded with -1; -100 for a
            slot whose item is unknown (left out of the selection loss). Row i must have one entry per placeholder
            of `labels[i]`.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        logits_to_keep (`int`, *optional*, defaults to 0):
            Logits for the last this many positions only (`generate()` passes 1); 0 keeps every position.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the token loss is then a sum
            divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always an `NTRDConversationOutput`.
        """
        check_logits_to_keep(logits_to_keep, labels)
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, context_entities, context_words)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        hidden_states, past_key_values = self.conv_decoder.decode(
            self.embed_tokens(decoder_input_ids), self._memories(encoder_outputs), past_key_values, use_cache)
        kept = last_positions(hidden_states, logits_to_keep)
        logits = kept @ self.embed_tokens.weight.t() + self.copy_head(kept, *self._copy_users(encoder_outputs))
        loss = gen_loss = slot_logits = selection_loss = None
        if labels is not None:
            gen_loss = token_cross_entropy(logits, labels, num_items_in_batch)
            loss = self.config.gen_loss_weight * gen_loss
            if response_item_positions is not None:
                slot_logits, selection_loss = self._selection_loss(hidden_states, encoder_outputs, labels,
                                                                   response_item_positions)
                loss = loss + self.config.selection_loss_weight * selection_loss
        return NTRDConversationOutput(
            loss=loss,
            logits=logits,
            slot_logits=slot_logits,
            gen_loss=gen_loss,
            selection_loss=selection_loss,
            past_key_values=past_key_values,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
        )

    def _copy_users(self, encoded: KGSFEncoderOutput) -> tuple[torch.Tensor, torch.Tensor]:
        """The copy head's two user vectors; without a word graph the word one is zero (its weights unused)."""
        entity_user = encoded.entity_user_embedding
        word_user = encoded.word_user_embedding if self.config.use_word_graph else torch.zeros_like(entity_user)
        return entity_user, word_user

    def _selection_loss(self, hidden_states, encoded, labels, response_item_positions):
        """Selector scores at the placeholders of `labels` (the decoder state at position t predicts `labels[t]`)
        and their cross-entropy against the known items; pairs the k-th placeholder of a row with the k-th
        entry of its `response_item_positions`."""
        slot_mask = labels == self._item_token_id()
        given = response_item_positions != NO_ITEM
        n_slots, n_given = slot_mask.sum(dim=1), given.sum(dim=1)
        if not torch.equal(n_slots, n_given):
            row = int((n_slots != n_given).nonzero()[0, 0])
            raise ValueError(f"row {row}: labels hold {int(n_slots[row])} item placeholders, but "
                             f"response_item_positions gives {int(n_given[row])} items (one per placeholder, padded "
                             f"with {NO_ITEM})")
        targets = response_item_positions[given]  # row-major, as the placeholders are selected
        if ((targets < 0) & (targets != UNKNOWN_ITEM)).any() or (targets >= self.config.n_items).any():
            raise ValueError(f"response_item_positions must be catalogue positions in [0, {self.config.n_items}), "
                             f"{UNKNOWN_ITEM} (unknown) or {NO_ITEM} (padding), but got {targets.unique().tolist()}")
        slot_logits = self._select(hidden_states, encoded, slot_mask)
        known = targets != UNKNOWN_ITEM
        if not known.any():  # no item to learn from: a zero that keeps the selector in the graph
            return slot_logits, slot_logits.sum() * 0.0
        return slot_logits, nn.functional.cross_entropy(slot_logits[known].float(), targets[known])

    @torch.no_grad()
    def fill_slots(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        context_words: torch.LongTensor | None = None,
        generated_ids: torch.LongTensor | None = None,
    ) -> torch.LongTensor:
        r"""The item of each placeholder of generated templates, for writing the final responses.

        Args:
            input_ids, attention_mask, context_entities, context_words: the context, as given to `generate()`.
            generated_ids (`torch.LongTensor` of shape `(batch_size, length)`): `generate()`'s output (the
                decoder start token, then the template; pads after the end token are ignored).

        Returns:
            `torch.LongTensor` of shape `(batch_size, max_slots)`: the catalogue position (a column of
            `rec_logits`, an index into `config.item_ids`) for each placeholder before the end token, in order,
            padded with -1. Each slot gets the selector's best item; an item already placed in the same response
            is replaced by the recommender's best-ranked item not placed yet, so a response names no item twice
            (while the catalogue has unused items).
        """
        if generated_ids is None:
            raise ValueError("fill_slots needs generated_ids: the templates generate() returned")
        item_token_id = self._item_token_id()
        encoded, graph = self._encode(input_ids, attention_mask, context_entities, context_words)
        hidden_states = self.conv_decoder(self.embed_tokens(generated_ids), self._memories(encoded))[:, :-1]
        predicted = generated_ids[:, 1:]  # hidden_states[:, t] predicts predicted[:, t]
        ended = (predicted == self.config.eos_token_id).cumsum(dim=1) > 0  # at and after the end token
        slot_mask = (predicted == item_token_id) & ~ended
        batch, n_items = generated_ids.shape[0], self.config.n_items
        width = int(slot_mask.sum(dim=1).max()) if slot_mask.numel() else 0
        chosen = generated_ids.new_full((batch, width), NO_ITEM)
        if width == 0:
            return chosen
        scores = hidden_states.new_full((batch, width, n_items), float("-inf"))
        rows, _ = slot_mask.nonzero(as_tuple=True)
        slot_index = slot_mask.long().cumsum(dim=1)[slot_mask] - 1  # k-th placeholder of its row
        scores[rows, slot_index] = self._select(hidden_states, encoded, slot_mask).float()
        ranking = self.item_scorer(graph.user_embedding, graph.entity_embeddings).float()
        used = torch.zeros(batch, n_items, dtype=torch.bool, device=generated_ids.device)
        has_slot = torch.arange(width, device=generated_ids.device) < slot_mask.sum(dim=1, keepdim=True)
        for k in range(width):
            pick = scores[:, k].argmax(dim=-1)
            fallback = ranking.masked_fill(used, float("-inf")).argmax(dim=-1)
            repeated = used.gather(1, pick[:, None]).squeeze(1) & ~used.all(dim=1)
            pick = torch.where(repeated, fallback, pick)
            live = has_slot[:, k]
            chosen[live, k] = pick[live]
            used[live.nonzero(as_tuple=True)[0], pick[live]] = True
        return chosen


__all__ = [
    "NTRDForConversation",
    "NTRDForPretraining",
    "NTRDForRecommendation",
    "NTRDModel",
    "NTRDPreTrainedModel",
]
