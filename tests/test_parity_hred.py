"""HRED against CRSLab's ReDial conversation model without its switch (`HRNN` + the GRU of `SwitchingDecoder`),
written out on the model's state dict with plain tensor ops: the GRU equations step by step, each utterance read
both ways over its valid tokens (backward final state, then forward), the dialog GRU over the utterance vectors,
the decoder GRU from the context state, `log_softmax(out(h))` and `CrossEntropyLoss` over the response tokens."""

import torch

from crs_hf.models.hred import HREDConfig, HREDForConversation

PAD, START, END = 0, 1, 2
# (batch, utterances, tokens): dialogs of 3, 1 and 2 utterances of different lengths
CONTEXT = torch.tensor([
    [[5, 6, 7, 0], [8, 9, 0, 0], [10, 11, 12, 13]],
    [[14, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    [[15, 16, 0, 0], [17, 18, 19, 0], [0, 0, 0, 0]],
])
LABELS = torch.tensor([[5, 9, END, -100], [7, END, -100, -100], [11, 12, 13, END]])


def model(**overrides) -> HREDForConversation:
    torch.manual_seed(0)
    config = HREDConfig(vocab_size=20, embedding_dim=6, utterance_encoder_hidden_size=5, dialog_encoder_hidden_size=7,
                        decoder_hidden_size=7, **overrides)
    return HREDForConversation(config).eval()


def gru_step(state: dict, prefix: str, suffix: str, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One step of PyTorch's GRU: r, z = sigmoid(W_i x + b_i + W_h h + b_h), n = tanh(W_in x + b_in + r (W_hn h
    + b_hn)), h' = (1 - z) n + z h (gates stacked r, z, n)."""
    gi = x @ state[f"{prefix}.weight_ih_{suffix}"].t() + state[f"{prefix}.bias_ih_{suffix}"]
    gh = h @ state[f"{prefix}.weight_hh_{suffix}"].t() + state[f"{prefix}.bias_hh_{suffix}"]
    (ir, iz, in_), (hr, hz, hn) = gi.chunk(3, -1), gh.chunk(3, -1)
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    n = torch.tanh(in_ + r * hn)
    return (1 - z) * n + z * h


def gru(state: dict, prefix: str, suffix: str, xs: list[torch.Tensor], h: torch.Tensor) -> list[torch.Tensor]:
    outputs = []
    for x in xs:
        h = gru_step(state, prefix, suffix, x, h)
        outputs.append(h)
    return outputs


def crslab_context_state(state: dict, context: torch.Tensor) -> torch.Tensor:
    embedding = state["model.encoder.embed_tokens.weight"]
    states = []
    for dialog in context:
        utterances = [row[row != PAD] for row in dialog if (row != PAD).any()]
        vectors = []
        for tokens in utterances:
            xs = list(embedding[tokens])
            h0 = torch.zeros(5)
            forward = gru(state, "model.encoder.utterance_encoder", "l0", xs, h0)[-1]
            backward = gru(state, "model.encoder.utterance_encoder", "l0_reverse", xs[::-1], h0)[-1]
            vectors.append(torch.cat([backward, forward]))  # torch.cat((encoding[-1], encoding[-2]), 1)
        states.append(gru(state, "model.encoder.context_encoder", "l0", vectors, torch.zeros(7))[-1])
    return torch.stack(states)


def crslab_log_probs(state: dict, context_state: torch.Tensor, decoder_inputs: torch.Tensor) -> torch.Tensor:
    embedding = state["model.encoder.embed_tokens.weight"]  # CRSLab's decoder shares the encoder's embedding
    rows = []
    for h0, tokens in zip(context_state, decoder_inputs):
        hidden = torch.stack(gru(state, "decoder.gru", "l0", list(embedding[tokens]), h0))
        rows.append(torch.log_softmax(hidden @ state["decoder.out.weight"].t() + state["decoder.out.bias"], -1))
    return torch.stack(rows)


def test_loss_equals_crslabs_hierarchical_encoder_decoder():
    hred = model()
    state = hred.state_dict()
    targets = LABELS.masked_fill(LABELS == -100, PAD)
    decoder_inputs = torch.cat([torch.full_like(targets[:, :1], START), targets[:, :-1]], dim=1)
    context_state = crslab_context_state(state, CONTEXT)
    log_probs = crslab_log_probs(state, context_state, decoder_inputs)
    flat, gold = log_probs.reshape(-1, 20), targets.reshape(-1)
    # CrossEntropyLoss(ignore_index=pad) on log-probabilities (its log_softmax leaves them as they are)
    loss = -(flat.log_softmax(-1)[torch.arange(len(gold)), gold])[gold != PAD].mean()
    with torch.no_grad():
        out = hred(input_ids=CONTEXT, labels=LABELS)
    torch.testing.assert_close(out.context_state, context_state, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.logits, log_probs, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.loss, loss, rtol=1e-5, atol=1e-5)


def test_two_layer_decoder_starts_every_layer_from_the_context_state():
    hred = model(decoder_num_layers=2)
    state = hred.state_dict()
    decoder_inputs = torch.tensor([[START, 5, 9], [START, 7, 2], [START, 11, 12]])
    context_state = crslab_context_state(state, CONTEXT)
    embedding = state["model.encoder.embed_tokens.weight"]
    expected = []
    for h0, tokens in zip(context_state, decoder_inputs):  # h_0 = context_state.expand(num_layers, ...)
        first = gru(state, "decoder.gru", "l0", list(embedding[tokens]), h0)
        second = torch.stack(gru(state, "decoder.gru", "l1", first, h0))
        expected.append(torch.log_softmax(second @ state["decoder.out.weight"].t() + state["decoder.out.bias"], -1))
    with torch.no_grad():
        out = hred(input_ids=CONTEXT, decoder_input_ids=decoder_inputs)
    torch.testing.assert_close(out.logits, torch.stack(expected), rtol=1e-5, atol=1e-5)
