"""SASRec: CRSLab's blocks and loss recomputed by hand, the left-padded sequence, training, bad input."""

import math

import pytest
import torch
from rec_models_common import RecModelTesterMixin
from rec_models_extra import SequentialModelTester, SequentialModelTesterMixin, crslab_bce

from crs_hf.models.layers.item_sequence import item_sequences, next_item_targets
from crs_hf.models.sasrec import CRS_MODEL


def tf_layer_norm(x: torch.Tensor, state: dict, prefix: str, eps: float) -> torch.Tensor:
    """CRSLab's TF-style `LayerNorm`: `w * (x - mean) / sqrt(var + eps) + b`."""
    mean = x.mean(-1, keepdim=True)
    variance = (x - mean).pow(2).mean(-1, keepdim=True)
    return state[f"{prefix}.weight"] * (x - mean) / torch.sqrt(variance + eps) + state[f"{prefix}.bias"]


def linear(x: torch.Tensor, state: dict, prefix: str) -> torch.Tensor:
    return x @ state[f"{prefix}.weight"].t() + state[f"{prefix}.bias"]


class SASRecModelTester(SequentialModelTester):
    spec = CRS_MODEL

    def __init__(self):
        self.config_kwargs = dict(n_items=self.n_items, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=37, max_seq_length=self.max_seq_length, initializer_range=0.3,
                                  hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)

    def sequence_width(self, sequences):
        return self.max_seq_length  # left-padded to max_seq_length, as CRSLab pads to item_truncate

    def reference(self, model, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """CRSLab's `SASRec.forward` at eval from the state dict: left-pad with the padding item, item + position
        embeddings, TF layer norm, then per block multi-head attention with the additive mask
        `(1 - pad_mask * causal) * -10000`, dense + residual + norm, `dense_2(gelu(dense_1))` + residual + norm;
        the last position scores every item. In float32, as CRSLab runs: the empty sequence's query sees no key,
        so its scores are `raw - 10000`, whose float32 rounding is part of CRSLab's result."""
        config, width = model.config, self.max_seq_length
        state = model.state_dict()
        embeddings, eps = state["model.embeddings.item_embeddings.weight"], config.layer_norm_eps
        heads, head_size = config.num_attention_heads, config.hidden_size // config.num_attention_heads
        sequences, outputs = self.sequences(inputs), []
        for sequence in sequences:
            ids = [self.n_items] * (width - len(sequence)) + sequence
            mask = torch.tensor([0.0] * (width - len(sequence)) + [1.0] * len(sequence), dtype=torch.float32)
            x = embeddings[ids] + state["model.embeddings.position_embeddings.weight"][:width]
            x = tf_layer_norm(x, state, "model.embeddings.layer_norm", eps)
            bias = (1.0 - mask[None, :] * torch.ones(width, width, dtype=torch.float32).tril()) * -10000.0
            for layer in range(config.num_hidden_layers):
                prefix = f"model.layers.{layer}"
                q, k, v = (linear(x, state, f"{prefix}.attention.{name}").view(width, heads, head_size).transpose(0, 1)
                           for name in ("query", "key", "value"))
                probabilities = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head_size) + bias, dim=-1)
                attended = (probabilities @ v).transpose(0, 1).reshape(width, config.hidden_size)
                x = tf_layer_norm(linear(attended, state, f"{prefix}.attention.dense") + x, state,
                                  f"{prefix}.attention.layer_norm", eps)
                inner = linear(x, state, f"{prefix}.feed_forward.dense_1")
                inner = inner * 0.5 * (1.0 + torch.erf(inner / math.sqrt(2.0)))
                x = tf_layer_norm(linear(inner, state, f"{prefix}.feed_forward.dense_2") + x, state,
                                  f"{prefix}.feed_forward.layer_norm", eps)
            outputs.append(x)
        rec_logits = torch.stack([x[-1] for x in outputs]) @ embeddings[: self.n_items].t()
        states = [x[width - max(len(s), 1):] for x, s in zip(outputs, sequences)]  # the columns with a target
        loss = crslab_bce(states, sequences, inputs["rec_labels"], inputs["negative_item_positions"],
                          lambda row, step, n: width - n + step, embeddings)
        return rec_logits, loss


class TestSASRec(RecModelTesterMixin, SequentialModelTesterMixin):
    model_tester = SASRecModelTester()

    def test_item_sequence_is_left_padded_to_max_seq_length(self):
        context = torch.tensor([[3, -1, 4], [-1, -1, -1], [0, 1, 2]])
        history = torch.tensor([[6, 7], [-1, -1], [8, 5]])
        sequence = item_sequences(context, history, n_items=9, max_length=4, left_aligned=False, width=4)
        assert sequence.ids.tolist() == [[6, 7, 3, 4], [9, 9, 9, 9], [5, 0, 1, 2]]
        assert sequence.last.tolist() == [3, 3, 3]
        assert next_item_targets(sequence, torch.tensor([1, 2, 3])).tolist() == [
            [7, 3, 4, 1], [-100, -100, -100, 2], [0, 1, 2, 3]]
        short = item_sequences(torch.tensor([[3, 4]]), None, n_items=9, max_length=4, left_aligned=False, width=4)
        assert short.ids.tolist() == [[9, 9, 3, 4]] and short.mask.tolist() == [[False, False, True, True]]

    def test_a_later_item_does_not_change_an_earlier_output(self):
        model = self.model_tester.create_model()
        with torch.no_grad():
            outputs = model.model(torch.tensor([[1, 2, 3], [1, 2, 5]])).last_hidden_state
        torch.testing.assert_close(outputs[0, -3:-1], outputs[1, -3:-1])  # causal attention over the items
        assert not torch.allclose(outputs[0, -1], outputs[1, -1])

    @pytest.mark.parametrize(("overrides", "message"), [
        ({"hidden_size": 30, "num_attention_heads": 4}, r"hidden_size \(30\) must be a multiple of "
                                                        r"num_attention_heads \(4\)"),
        ({"hidden_act": "nope"}, "hidden_act must be one of transformers' ACT2FN names"),
        ({"n_items": 1}, "n_items must be at least 2"),
        ({"hidden_dropout_prob": 1.0}, r"hidden_dropout_prob must be in \[0, 1\), but got 1.0"),
        ({"max_seq_length": 0}, r"max_seq_length \(0\) must be at least 1"),
    ])
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
