"""GRU4Rec: CRSLab's GRU and loss recomputed by hand, the item sequence and its negatives, training, bad input."""

import pytest
import torch
from rec_models_common import RecModelTesterMixin
from rec_models_extra import SequentialModelTester, SequentialModelTesterMixin, crslab_bce

from crs_hf.models.gru4rec import CRS_MODEL
from crs_hf.models.layers.item_sequence import item_sequences, next_item_targets, sample_negative_items


class GRU4RecModelTester(SequentialModelTester):
    spec = CRS_MODEL

    def __init__(self):
        self.config_kwargs = dict(n_items=self.n_items, hidden_size=32, num_layers=2,
                                  max_seq_length=self.max_seq_length)

    def sequence_width(self, sequences):
        return max(len(s) for s in sequences)  # right-padded to the longest

    def reference(self, model, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """CRSLab's GRU4Rec at eval: the GRU equations of `torch.nn.GRU` run step by step in float64 from the state
        dict, over each sequence (an empty one read as its padding item), the last state dotted with every item."""
        state = {name: tensor.double() for name, tensor in model.state_dict().items()}
        embeddings, size = state["model.item_embeddings.weight"], model.config.hidden_size
        sequences, all_states = self.sequences(inputs), []
        for sequence in sequences:
            layer_input = embeddings[sequence or [self.n_items]]
            for layer in range(model.config.num_layers):
                w_ih, w_hh = state[f"model.gru.weight_ih_l{layer}"], state[f"model.gru.weight_hh_l{layer}"]
                b_ih, b_hh = state[f"model.gru.bias_ih_l{layer}"], state[f"model.gru.bias_hh_l{layer}"]
                hidden, outputs = torch.zeros(size, dtype=torch.float64), []
                for x in layer_input:
                    gi, gh = w_ih @ x + b_ih, w_hh @ hidden + b_hh
                    reset = torch.sigmoid(gi[:size] + gh[:size])
                    update = torch.sigmoid(gi[size:2 * size] + gh[size:2 * size])
                    candidate = torch.tanh(gi[2 * size:] + reset * gh[2 * size:])
                    hidden = (1 - update) * candidate + update * hidden
                    outputs.append(hidden)
                layer_input = torch.stack(outputs)
            all_states.append(layer_input)
        rec_logits = torch.stack([s[-1] for s in all_states]) @ embeddings[: self.n_items].t()
        loss = crslab_bce(all_states, sequences, inputs["rec_labels"], inputs["negative_item_positions"],
                          lambda row, step, n: step, embeddings)
        return rec_logits, loss


class TestGRU4Rec(RecModelTesterMixin, SequentialModelTesterMixin):
    model_tester = GRU4RecModelTester()

    def test_item_sequence_is_history_then_context_right_padded_most_recent_kept(self):
        context = torch.tensor([[3, -1, 4, -1], [-1, -1, -1, -1], [0, 1, 2, 5]])
        history = torch.tensor([[6, 7], [-1, -1], [8, -1]])
        sequence = item_sequences(context, history, n_items=9, max_length=4, left_aligned=True)
        assert sequence.ids.tolist() == [[6, 7, 3, 4], [9, 9, 9, 9], [0, 1, 2, 5]]
        assert sequence.mask.tolist() == [[True] * 4, [False] * 4, [True] * 4]
        assert sequence.last.tolist() == [3, 0, 3]
        targets = next_item_targets(sequence, torch.tensor([1, 2, -100]))
        assert targets.tolist() == [[7, 3, 4, 1], [2, -100, -100, -100], [1, 2, 5, -100]]
        short = item_sequences(torch.tensor([[3, -1], [-1, -1]]), None, n_items=9, max_length=4, left_aligned=True)
        assert short.ids.tolist() == [[3], [9]] and short.last.tolist() == [0, 0]

    def test_negatives_are_drawn_uniformly_from_the_items_outside_the_sequence(self):
        sequence = item_sequences(torch.tensor([[0, 2, 4], [-1, -1, -1]]), None, n_items=6, max_length=5,
                                  left_aligned=True)
        negatives = torch.stack([sample_negative_items(sequence, 6, torch.Generator().manual_seed(seed))
                                 for seed in range(600)])  # (600, 2, 3)
        assert set(negatives[:, 0].flatten().tolist()) == {1, 3, 5}
        assert set(negatives[:, 1].flatten().tolist()) == set(range(6))
        frequencies = torch.bincount(negatives[:, 0].flatten(), minlength=6)[[1, 3, 5]] / negatives[:, 0].numel()
        torch.testing.assert_close(frequencies, torch.full((3,), 1 / 3), atol=0.04, rtol=0)

    @pytest.mark.parametrize(("overrides", "message"), [
        ({"n_items": 1}, "n_items must be at least 2"),
        ({"dropout_hidden": 1.0}, r"dropout_hidden must be in \[0, 1\), but got 1.0"),
        ({"num_layers": 0}, r"num_layers \(0\)"),
    ])
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
