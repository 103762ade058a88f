"""Shared layers: the hand-written graph convolutions equal torch_geometric's, attention and cache semantics."""

import math

import pytest
import torch
from torch_geometric.nn import GCNConv, RGCNConv
from transformers import PreTrainedConfig
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

from crs_hf.models import KBRDConfig
from crs_hf.models.layers import (
    CRSEntityGraphEncoder,
    CRSGraphConv,
    CRSMultiHeadAttention,
    CRSRelationalGraphConv,
    CRSSelfAttentionPooling,
    CRSTransformerDecoder,
    shift_tokens_right,
    sinusoidal_position_codes,
)


def graph_with_quirks(num_nodes: int, num_edges: int, num_relations: int, seed: int = 0):
    """Random edges plus a repeated edge, a self-loop, and nodes without incoming edges."""
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes // 2, (2, num_edges), generator=generator)
    edge_type = torch.randint(0, num_relations, (num_edges,), generator=generator)
    edge_index = torch.cat([edge_index, edge_index[:, :1], torch.tensor([[3], [3]])], dim=1)
    edge_type = torch.cat([edge_type, edge_type[:1], torch.tensor([1])])
    return edge_index, edge_type


def gradients(module: torch.nn.Module, output: torch.Tensor) -> dict[str, torch.Tensor]:
    weights = torch.linspace(-1, 1, output.numel()).view_as(output)
    grads = torch.autograd.grad((output * weights).sum(), list(module.parameters()))
    return dict(zip([name for name, _ in module.named_parameters()], grads))


@pytest.mark.parametrize(("num_nodes", "num_edges", "num_relations", "num_bases"), [(40, 150, 5, 3), (25, 0, 2, 1)])
def test_relational_graph_conv_equals_torch_geometric(num_nodes, num_edges, num_relations, num_bases):
    torch.manual_seed(0)
    reference = RGCNConv(num_nodes, 16, num_relations, num_bases=num_bases)
    ours = CRSRelationalGraphConv(num_nodes, 16, num_relations, num_bases)
    ours.load_state_dict(reference.state_dict())  # same names and shapes
    edge_index, edge_type = graph_with_quirks(num_nodes, num_edges, num_relations)
    expected, got = reference(None, edge_index, edge_type), ours(edge_index, edge_type)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    expected_grads, got_grads = gradients(reference, expected), gradients(ours, got)
    for name in expected_grads:
        torch.testing.assert_close(got_grads[name], expected_grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_entity_graph_encoder_recomputes_its_structure_when_the_graph_changes():
    config = KBRDConfig(n_entity=30, n_relation=3, num_bases=2, kg_emb_dim=8)
    torch.manual_seed(0)
    encoder = CRSEntityGraphEncoder(config)
    reference = RGCNConv(30, 8, 3, num_bases=2)
    reference.load_state_dict(encoder.conv.state_dict())
    for seed in (1, 2):
        graph = graph_with_quirks(30, 60, 3, seed=seed)
        encoder.set_graph(*graph)
        torch.testing.assert_close(encoder(), reference(None, *graph), rtol=1e-5, atol=1e-6)
    assert config.n_entity_edges == 62
    with torch.no_grad():  # an in-place change (e.g. load_state_dict) is seen too
        encoder.edge_type.copy_(torch.zeros_like(encoder.edge_type))
    torch.testing.assert_close(encoder(), reference(None, encoder.edge_index, encoder.edge_type), rtol=1e-5,
                               atol=1e-6)


def test_graph_conv_equals_torch_geometric():
    torch.manual_seed(0)
    reference = GCNConv(12, 10)
    ours = CRSGraphConv(12, 10)
    ours.load_state_dict(reference.state_dict())
    edge_index, _ = graph_with_quirks(30, 80, 1)
    x = torch.randn(30, 12)
    expected, got = reference(x, edge_index), ours(x, edge_index)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    expected_grads, got_grads = gradients(reference, expected), gradients(ours, got)
    for name in expected_grads:
        torch.testing.assert_close(got_grads[name], expected_grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_self_attention_pooling_is_a_masked_softmax_average():
    config = PreTrainedConfig()
    config.kg_emb_dim = 4
    pooling = CRSSelfAttentionPooling(config)
    states = torch.randn(3, 5, 4)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)
    pooled = pooling(states, mask)
    scores = torch.tanh(states[0, :2] @ pooling.weight) @ pooling.vector
    torch.testing.assert_close(pooled[0], torch.softmax(scores, 0) @ states[0, :2])
    assert torch.equal(pooled[2], torch.zeros(4))  # nothing mentioned: zero user vector


def tiny_transformer_config(**overrides) -> KBRDConfig:
    return KBRDConfig(vocab_size=20, token_emb_dim=16, n_heads=2, n_layers=2, ffn_size=24, n_positions=32,
                      dropout=0.0, relu_dropout=0.0, **overrides)


def test_attention_over_only_padding_gives_a_zero_update():
    attention = CRSMultiHeadAttention(tiny_transformer_config(), is_cross_attention=True)
    hidden, memory = torch.randn(2, 3, 16), torch.randn(2, 4, 16)
    mask = torch.tensor([[False] * 4, [True, True, False, False]])
    out = attention(hidden, mask[:, None, :], key_value_states=memory)
    torch.testing.assert_close(out[0], attention.out_lin.bias.expand(3, 16))
    masked_out = attention(hidden[1:], mask[1:, None, :], key_value_states=memory[1:] + torch.tensor(
        [0.0, 0.0, 5.0, 5.0])[:, None])  # what sits under padding does not matter
    torch.testing.assert_close(masked_out, out[1:])


@pytest.mark.parametrize("learned", [False, True])
def test_decoder_with_cache_equals_decoding_the_whole_prefix(learned):
    torch.manual_seed(0)
    decoder = CRSTransformerDecoder(tiny_transformer_config(learn_positional_embeddings=learned), n_memories=2)
    decoder.eval()
    inputs = torch.randn(3, 6, 16)
    memories = [(torch.randn(3, 4, 16), torch.rand(3, 4) > 0.3), (torch.randn(3, 5, 16), torch.ones(3, 5).bool())]
    full = decoder(inputs, memories)
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    steps = [decoder(inputs[:, :2], memories, cache)] + [decoder(inputs[:, t:t + 1], memories, cache)
                                                          for t in range(2, 6)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-5)
    assert cache.get_seq_length() == 6
    assert len(cache.cross_attention_cache.layers) == 4  # two memories per layer


def test_sinusoidal_codes_follow_parlai():
    codes = sinusoidal_position_codes(7, 6)
    for position in range(7):
        for j in range(3):
            angle = position / 10000 ** (2 * j / 6)
            assert codes[position, 2 * j].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert codes[position, 2 * j + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_shift_tokens_right_reads_ignored_labels_as_padding():
    labels = torch.tensor([[5, 6, 2, -100], [7, 2, -100, -100]])
    assert shift_tokens_right(labels, pad_token_id=0, decoder_start_token_id=1).tolist() == [[1, 5, 6, 2], [1, 7, 2, 0]]

