"""NTRD's conversation loss against CRSLab's `NTRDModel.converse` and `NTRDSystem.step`
(`gen_loss_weight * gen_loss + selection_loss`), written out with plain tensors on the model's state dict: the
graphs (dense R-GCN and GCN), `SelfAttentionSeq`, ParlAI's transformer encoder, `TransformerDecoderKG` (self
attention, then the entities, the words and the context), KGSF's copy scores, `TransformerDecoderSelection` and
`matching_linear` at the placeholder positions.

Where crs_hf differs on purpose (listed in the model card) the formula here is crs_hf's: attention masks keep the
valid positions (CRSLab passed the padding masks), the KG memories are projected to `token_emb_dim`, the template
has no start token, and the selector scores the catalogue instead of every entity."""

import math

import torch
from models_common import (
    crslab_gcn,
    crslab_rgcn,
    crslab_self_attention,
    parlai_attention,
    parlai_ffn,
    parlai_layer_norm,
    parlai_linear,
    parlai_position_codes,
    random_graph,
)

from crs_hf.models.ntrd import NTRDConfig, NTRDForConversation

N_ENTITY, N_WORD, VOCAB, ITEM, DIM, HEADS, LAYERS = 12, 10, 20, 4, 8, 2, 2
ITEM_IDS = [5, 8, 1, 10]
CONTEXT = torch.tensor([[6, 7, 8, 9, 10], [11, 12, 13, 0, 0], [14, 15, 0, 0, 0]])
# every context has entities and words (CRSLab's attention over an all-padding row differs, a documented choice)
CONTEXT_ENTITIES = torch.tensor([[3, 5, 0], [9, 0, 0], [2, 11, 4]])
CONTEXT_WORDS = torch.tensor([[4, 2, 0], [7, 0, 0], [1, 3, 9]])
# templates: the response with the placeholder (4) at each item, then the end token (2), padded with -100
LABELS = torch.tensor([[7, ITEM, 8, ITEM, 2], [ITEM, 9, 2, -100, -100], [10, 11, 12, 13, 2]])
ITEMS = torch.tensor([[2, -100], [0, -1], [-1, -1]])  # catalogue positions per slot; -100 unknown, -1 padding


def ntrd() -> NTRDForConversation:
    torch.manual_seed(0)
    config = NTRDConfig(vocab_size=VOCAB, token_emb_dim=DIM, ffn_size=12, n_heads=HEADS, n_layers=LAYERS,
                        n_positions=16, n_entity=N_ENTITY, n_relation=3, num_bases=2, kg_emb_dim=6, n_word=N_WORD,
                        item_ids=ITEM_IDS, item_token_id=ITEM)
    model = NTRDForConversation(config)
    generator = torch.Generator().manual_seed(1)
    model.set_entity_graph(*random_graph(N_ENTITY, 40, 3, generator))
    model.set_word_graph(random_graph(N_WORD, 30, 1, generator)[0])
    copyable = torch.zeros(VOCAB, dtype=torch.bool)
    copyable[5:15] = True
    model.set_copy_mask(copyable)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("bias"):
                parameter.normal_(std=0.1)  # most biases start at zero: make them count
    return model.eval()


def attention(state: dict, name: str, query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """ParlAI's attention for one example: `query` (q, dim), `key` = value (k, dim), `mask` (q, k)."""
    return parlai_attention(state, name, query[None], key[None], mask[None], HEADS)[0]


def block(state: dict, norm: str, x: torch.Tensor, branch: str, memory: torch.Tensor | None = None, mask=None):
    """A post-norm residual block, `LayerNorm(x + branch(x))`: attention to `memory` (every key seen unless
    `mask`), or the feed-forward without a memory."""
    if memory is None:
        return parlai_layer_norm(state, norm, x + parlai_ffn(state, branch, x))
    mask = torch.ones(len(x), len(memory), dtype=torch.bool) if mask is None else mask
    return parlai_layer_norm(state, norm, x + attention(state, branch, x, memory, mask))


def embed(state: dict, tokens: torch.Tensor) -> torch.Tensor:
    """Scaled token embeddings plus sinusoidal positions (ParlAI's encoder and decoder inputs)."""
    return state["embed_tokens.weight"][tokens] * math.sqrt(DIM) + parlai_position_codes(16, DIM)[: len(tokens)]


def encode_context(state: dict, tokens: torch.Tensor) -> torch.Tensor:
    """ParlAI's `TransformerEncoder` over one context (no padding: the caller drops it)."""
    x = embed(state, tokens)
    for i in range(LAYERS):
        name = f"conv_encoder.layers.{i}"
        x = block(state, f"{name}.attention_norm", x, f"{name}.attention", x)
        x = block(state, f"{name}.ffn_norm", x, f"{name}.ffn")
    return x


def unpadded(ids: torch.Tensor, pad: int) -> torch.Tensor:
    return ids[ids != pad]


def crslab_conversation_loss(model: NTRDForConversation) -> dict[str, torch.Tensor]:
    state = model.state_dict()
    entity_kg = crslab_rgcn(state, "model.entity_encoder", N_ENTITY)
    word_kg = crslab_gcn(state, "model.word_encoder", N_WORD)
    entity_user = crslab_self_attention(entity_kg, CONTEXT_ENTITIES, 0, state["model.entity_attention.weight"],
                                        state["model.entity_attention.vector"])
    word_user = crslab_self_attention(word_kg, CONTEXT_WORDS, 0, state["model.word_attention.weight"],
                                      state["model.word_attention.vector"])
    gen_losses, slot_scores, slot_items = [], [], []
    for row in range(len(LABELS)):
        context = encode_context(state, unpadded(CONTEXT[row], 0))
        entities = parlai_linear(state, "conv_entity_norm", entity_kg[unpadded(CONTEXT_ENTITIES[row], 0)])
        words = parlai_linear(state, "conv_word_norm", word_kg[unpadded(CONTEXT_WORDS[row], 0)])
        labels = unpadded(LABELS[row], -100)
        inputs = torch.cat([torch.tensor([1]), labels[:-1]])  # the start token, then the template shifted right
        length = len(inputs)
        x = embed(state, inputs)
        for i in range(LAYERS):  # TransformerDecoderLayerKG: self, db (entities), kg (words), encoder attention
            name = f"conv_decoder.layers.{i}"
            causal = torch.ones(length, length, dtype=torch.bool).tril()
            x = block(state, f"{name}.self_attention_norm", x, f"{name}.self_attention", x, causal)
            for k, memory in enumerate([entities, words, context]):
                x = block(state, f"{name}.memory_norms.{k}", x, f"{name}.memory_attentions.{k}", memory)
            x = block(state, f"{name}.ffn_norm", x, f"{name}.ffn")
        latent = x
        # KGSF's copy scores, copy_output(copy_norm([entity user; word user; latent])) * copy_mask, plus the tied
        # output embedding
        users = torch.cat([parlai_linear(state, "conv_entity_attn_norm", entity_user[row]),
                           parlai_linear(state, "conv_word_attn_norm", word_user[row])]).expand(length, -1)
        copy_latent = parlai_linear(state, "copy_head.copy_norm", torch.cat([users, latent], dim=-1))
        copy = parlai_linear(state, "copy_head.copy_output", copy_latent) * state["copy_head.copy_mask"].float()
        logits = latent @ state["embed_tokens.weight"].t() + copy
        gen_losses.append(logits.logsumexp(-1) - logits[torch.arange(length), labels])

        # TransformerDecoderSelection over the decoder states: the words ("movie_attention"), the context
        # ("encoder_attention"), the feed-forward; then matching_linear, read at the placeholders
        s = latent
        for i in range(LAYERS):
            name = f"selector.layers.{i}"
            s = block(state, f"{name}.knowledge_norm", s, f"{name}.knowledge_attention", words)
            s = block(state, f"{name}.context_norm", s, f"{name}.context_attention", context)
            s = block(state, f"{name}.ffn_norm", s, f"{name}.ffn")
        scores = parlai_linear(state, "selector.item_output", s)
        slot_scores.append(scores[labels == ITEM])
        slot_items.append(unpadded(ITEMS[row], -1))
    gen_loss = torch.cat(gen_losses).mean()  # nn.CrossEntropyLoss over every labelled token of the batch
    scores, items = torch.cat(slot_scores), torch.cat(slot_items)
    known = items != -100
    selection = (scores[known].logsumexp(-1) - scores[known, items[known]]).mean()
    return {"gen_loss": gen_loss, "slot_logits": scores, "selection_loss": selection,
            "loss": 5.0 * gen_loss + selection}  # NTRDSystem: gen_loss_weight * gen_loss + selection_loss


def test_conversation_loss_equals_crslab_formula():
    model = ntrd()
    with torch.no_grad():
        out = model(input_ids=CONTEXT, context_entities=CONTEXT_ENTITIES, context_words=CONTEXT_WORDS,
                    labels=LABELS, response_item_positions=ITEMS)
    expected = crslab_conversation_loss(model)
    assert expected["slot_logits"].shape == (3, len(ITEM_IDS))  # two slots in row 0, one in row 1
    for name, value in expected.items():
        torch.testing.assert_close(getattr(out, name), value, msg=name)
