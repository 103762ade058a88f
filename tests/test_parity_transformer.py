"""The Transformer conversation model against CRSLab's `TransformerModel.converse` (training mode), written out on
the model's state dict with plain tensor ops: ParlAI's encoder (scaled embeddings + sinusoidal positions counted
over valid tokens, post-norm attention and ReLU blocks, outputs zeroed at padding), its decoder (causal
self-attention, attention over the encoded context, feed-forward), `F.linear(latent, token_embedding.weight)` and
`CrossEntropyLoss(ignore_index=pad)` over CRSLab's response `[start] + tokens + [end]` fed `[START] + response[:-1]`.
"""

import math

import torch
from models_common import parlai_attention, parlai_ffn, parlai_layer_norm, parlai_position_codes

from crs_hf.models.transformer import TransformerConfig, TransformerForConversation

PAD, START, END = 0, 1, 2
DIM, HEADS = 8, 2
CONTEXT = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 0, 0, 0], [12, 0, 0, 0, 0]])  # every row has a token
TOKENS = [[13, 14, 15], [16], [17, 18]]  # the responses' words


def model() -> TransformerForConversation:
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=20, token_emb_dim=DIM, n_heads=HEADS, n_layers=2, ffn_size=12,
                               n_positions=16, dropout=0.1, relu_dropout=0.1)
    transformer = TransformerForConversation(config).eval()  # eval: CRSLab's dropouts are identities here
    with torch.no_grad():
        for name, parameter in transformer.named_parameters():
            if name.endswith("bias"):
                parameter.normal_(std=0.1)  # zero at initialisation: make them count
    return transformer


def crslab_encoder(state: dict, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    embedding = state["model.embed_tokens.weight"]
    mask = tokens != PAD
    positions = (mask.long().cumsum(dim=1) - 1).clamp(min=0)
    x = embedding[tokens] * math.sqrt(DIM) + parlai_position_codes(16, DIM)[positions]
    x = x * mask.unsqueeze(-1)
    for i in range(2):
        p = f"model.conv_encoder.layers.{i}"
        attended = parlai_attention(state, f"{p}.attention", x, x, mask[:, None, :].expand(-1, x.shape[1], -1), HEADS)
        x = parlai_layer_norm(state, f"{p}.attention_norm", x + attended)
        x = parlai_layer_norm(state, f"{p}.ffn_norm", x + parlai_ffn(state, f"{p}.ffn", x))
        x = x * mask.unsqueeze(-1)
    return x, mask


def crslab_decoder(state: dict, inputs: torch.Tensor, encoded: torch.Tensor, encoder_mask: torch.Tensor):
    embedding = state["model.embed_tokens.weight"]
    length = inputs.shape[1]
    x = embedding[inputs] * math.sqrt(DIM) + parlai_position_codes(16, DIM)[:length]
    causal = torch.ones(length, length, dtype=torch.bool).tril().expand(inputs.shape[0], -1, -1)
    context_mask = encoder_mask[:, None, :].expand(-1, length, -1)
    for i in range(2):
        p = f"model.conv_decoder.layers.{i}"
        x = parlai_layer_norm(state, f"{p}.self_attention_norm",
                              x + parlai_attention(state, f"{p}.self_attention", x, x, causal, HEADS))
        x = parlai_layer_norm(state, f"{p}.memory_norms.0",
                              x + parlai_attention(state, f"{p}.memory_attentions.0", x, encoded, context_mask, HEADS))
        x = parlai_layer_norm(state, f"{p}.ffn_norm", x + parlai_ffn(state, f"{p}.ffn", x))
    return x @ embedding.t()  # F.linear(dialog_latent, token_embedding.weight)


def crslab_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """`nn.CrossEntropyLoss(ignore_index=pad)` over the flattened positions."""
    logits, targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    keep = targets != PAD
    return (logits.logsumexp(-1) - logits[torch.arange(len(targets)), targets])[keep].mean()


def padded(rows: list[list[int]], pad: int) -> torch.Tensor:
    width = max(len(row) for row in rows)
    return torch.tensor([row + [pad] * (width - len(row)) for row in rows])


def test_loss_on_crslabs_response_equals_crslab():
    transformer = model()
    response = padded([[START, *tokens, END] for tokens in TOKENS], PAD)  # CRSLab's add_start_end_token_idx
    decoder_inputs = torch.cat([torch.full_like(response[:, :1], START), response[:, :-1]], dim=1)
    state = transformer.state_dict()
    encoded, mask = crslab_encoder(state, CONTEXT)
    logits = crslab_decoder(state, decoder_inputs, encoded, mask)
    with torch.no_grad():
        out = transformer(input_ids=CONTEXT, decoder_input_ids=decoder_inputs,
                          labels=response.masked_fill(response == PAD, -100))
    torch.testing.assert_close(out.encoder_last_hidden_state, encoded, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.logits, logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.loss, crslab_cross_entropy(logits, response), rtol=1e-5, atol=1e-5)


def test_default_labels_are_the_response_and_its_end_fed_behind_the_start_token():
    transformer = model()
    labels = padded([[*tokens, END] for tokens in TOKENS], -100)  # crs_hf's labels: no start token to predict
    state = transformer.state_dict()
    encoded, mask = crslab_encoder(state, CONTEXT)
    targets = labels.masked_fill(labels == -100, PAD)
    logits = crslab_decoder(state, torch.cat([torch.full_like(targets[:, :1], START), targets[:, :-1]], 1),
                            encoded, mask)
    with torch.no_grad():
        out = transformer(input_ids=CONTEXT, labels=labels)
    torch.testing.assert_close(out.loss, crslab_cross_entropy(logits, targets), rtol=1e-5, atol=1e-5)
