"""Checks of the counting recommenders (Popularity, ContextCopy) and of the sequential ones (GRU4Rec, SASRec).

A test class mixes one of these in next to `RecModelTesterMixin`, with the same `model_tester`:

- `CountingModelTesterMixin`: `create_model()` (a model that has observed a few batches), `empty_model()` (no
  counts yet), `n_items`.
- `SequentialModelTesterMixin`: a `SequentialModelTester` (its fixed batch: history and context items, gold
  items, given negatives) with `sequence_width()` and `reference(model, inputs)`, the test file's own computation
  of CRSLab's formulas from the model's state dict, returning `(rec_logits, loss)`; `crslab_bce` is CRSLab's loss
  written out for both.
"""

import pytest
import torch
from rec_models_extra2 import RecModelTester, RecTrainingTesterMixin
from transformers import AutoModel


def padded(rows: list[list[int]], width: int | None = None) -> torch.Tensor:
    width = width or max(1, max(len(row) for row in rows))
    return torch.tensor([row + [-1] * (width - len(row)) for row in rows])


class SequentialModelTester(RecModelTester):
    """A fixed batch of 13 users: history and context item lists (row 0 has neither, row 1 is longer than
    `max_seq_length`), gold items, and one given negative per sequence position."""

    n_items, max_seq_length, batch_size = 11, 6, 13

    def item_lists(self) -> tuple[list[list[int]], list[list[int]]]:
        generator = torch.Generator().manual_seed(2)
        histories, contexts = [[], [1, 2, 3]], [[], [4, 5, 6, 7, 8]]
        for row in range(2, self.batch_size):
            n_history = int(torch.randint(0, 3, (1,), generator=generator)) if row % 3 else 0
            n_context = int(torch.randint(1, 5, (1,), generator=generator))
            histories.append(torch.randint(0, self.n_items, (n_history,), generator=generator).tolist())
            contexts.append(torch.randint(0, self.n_items, (n_context,), generator=generator).tolist())
        return histories, contexts

    def sequence_width(self, sequences: list[list[int]]) -> int:
        raise NotImplementedError

    def inputs(self, model_class=None) -> dict:
        histories, contexts = self.item_lists()
        sequences = [(h + c)[-self.max_seq_length:] for h, c in zip(histories, contexts)]
        generator = torch.Generator().manual_seed(3)
        return {
            "context_item_positions": padded(contexts),
            "history_item_positions": padded(histories),
            "rec_labels": torch.randint(0, self.n_items, (self.batch_size,), generator=generator),
            "negative_item_positions": torch.randint(
                0, self.n_items, (self.batch_size, self.sequence_width(sequences)), generator=generator),
        }

    def sequences(self, inputs: dict) -> list[list[int]]:
        """History then context items of each row, the last `max_seq_length` kept (CRSLab's `_process_history`)."""
        rows = torch.cat([inputs.get("history_item_positions", padded([[]] * self.batch_size)),
                          inputs["context_item_positions"]], 1)
        return [[p for p in row.tolist() if p >= 0][-self.max_seq_length:] for row in rows]


def crslab_bce(states: list[torch.Tensor], sequences, labels, negatives, columns, embeddings) -> torch.Tensor:
    """CRSLab's `cross_entropy(seq_out, pos_ids, neg_ids)`: targets `seq[1:] + [gold]`, istarget where a target
    exists, `sum(-log(s(pos) + 1e-24) - log(1 - s(neg) + 1e-24)) / sum(istarget)`."""
    terms = []
    for row, (sequence, label) in enumerate(zip(sequences, labels.tolist())):
        targets = sequence[1:] + [label]
        for step, target in enumerate(targets):
            if target == -100:
                continue
            column = columns(row, step, len(targets))
            hidden = states[row][step]
            positive = torch.sigmoid(hidden @ embeddings[target])
            negative = torch.sigmoid(hidden @ embeddings[negatives[row, column]])
            terms.append(-torch.log(positive + 1e-24) - torch.log(1 - negative + 1e-24))
    return torch.stack(terms).sum() / len(terms)


class CountingModelTesterMixin:
    model_tester = None

    def test_observe_counts_literal_gold_items(self):
        model = self.model_tester.empty_model()
        model.observe(rec_labels=torch.tensor([2, 0, 2, -100]),
                      context_item_positions=torch.tensor([[1], [-1], [3], [4]]))
        model.observe(**{"rec_labels": torch.tensor([2, 4]), "context_entities": torch.tensor([[5], [6]])})
        expected = torch.zeros(self.model_tester.n_items, dtype=torch.long)
        expected[[0, 2, 4]] = torch.tensor([1, 3, 1])
        assert torch.equal(model.model.popularity.item_counts, expected)

    def test_counts_survive_save_and_from_pretrained(self, tmp_path):
        model = self.model_tester.create_model()
        counts = model.model.popularity.item_counts.clone()
        assert counts.sum() > 0
        model.save_pretrained(tmp_path)
        for loaded in (type(model).from_pretrained(tmp_path), AutoModel.from_pretrained(tmp_path)):
            assert torch.equal(loaded.base_model.popularity.item_counts, counts)
        assert torch.equal(type(model)(model.config).model.popularity.item_counts, torch.zeros_like(counts))

    def test_nothing_requires_grad(self):
        model = self.model_tester.create_model().train()
        assert list(model.parameters()) == []
        labels = torch.tensor([0, 1])
        output = model(context_item_positions=torch.tensor([[1, -1], [-1, -1]]), rec_labels=labels)
        assert not output.loss.requires_grad and torch.isfinite(output.loss)
        assert model.device == torch.device("cpu") and model.dtype == torch.float32

    def test_observe_rejects_labels_outside_the_catalogue(self):
        model, n_items = self.model_tester.empty_model(), self.model_tester.n_items
        with pytest.raises(ValueError, match=rf"rec_labels must be catalogue positions in \[0, n_items={n_items}\) "
                                             rf"or -100 \(ignored\), but got \[{n_items}\]"):
            model.observe(rec_labels=torch.tensor([0, n_items]))
        with pytest.raises(ValueError, match=r"but got \[-3\]"):
            model(context_item_positions=torch.tensor([[0]]), rec_labels=torch.tensor([-3]))

    @pytest.mark.parametrize(("overrides", "message"), [
        ({"smoothing": 0.0}, r"smoothing must be > 0 \(added to every count\), but got 0.0"),
        ({"n_items": 0}, "n_items must be at least 1, but got 0"),
    ])
    def test_config_validation(self, overrides, message):
        config_class = self.model_tester.spec.config_class
        with pytest.raises(ValueError, match=message):
            config_class(**{"n_items": self.model_tester.n_items, **overrides})


class SequentialModelTesterMixin(RecTrainingTesterMixin):
    model_tester = None

    def test_output_shapes(self):
        tester = self.model_tester
        inputs = tester.inputs()
        hidden = tester.get_config().hidden_size
        assert tester.create_model()(**inputs).sequence_embedding.shape == (tester.batch_size, hidden)
        base = tester.create_model(tester.base_model_class)(inputs["context_item_positions"],
                                                              inputs["history_item_positions"])
        width = inputs["negative_item_positions"].shape[1]
        assert base.last_hidden_state.shape == (tester.batch_size, width, hidden)
        assert base.item_sequence.ids.shape == (tester.batch_size, width)
        rows = torch.arange(tester.batch_size)
        torch.testing.assert_close(base.sequence_embedding, base.last_hidden_state[rows, base.item_sequence.last])

    def test_scores_and_loss_equal_crslab_formula(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            output = model(**inputs)
            rec_logits, loss = tester.reference(model, inputs)
        torch.testing.assert_close(output.rec_logits, rec_logits.float(), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(output.loss, loss.float(), rtol=1e-4, atol=1e-5)

    def test_ignored_labels_do_not_count(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        inputs["rec_labels"][::2] = -100  # those rows keep their next-item targets and lose the gold one
        with torch.no_grad():
            loss = model(**inputs).loss
            expected = tester.reference(model, inputs)[1]
        torch.testing.assert_close(loss, expected.float(), rtol=1e-4, atol=1e-5)

    def test_history_changes_the_scores_of_the_rows_that_have_one(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            with_history = model(inputs["context_item_positions"], inputs["history_item_positions"]).rec_logits
            without = model(inputs["context_item_positions"]).rec_logits
        has_history = (inputs["history_item_positions"] >= 0).any(1)
        assert has_history.any() and not has_history.all()
        changed = (with_history - without).abs().amax(1) > 1e-6
        assert torch.equal(changed, has_history)

    def test_eval_loss_is_reproducible_when_negatives_are_drawn(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = {key: value for key, value in tester.inputs().items() if key != "negative_item_positions"}
        with torch.no_grad():
            assert torch.equal(model(**inputs).loss, model(**inputs).loss)

    def test_cross_entropy_loss_type_is_the_softmax_over_the_catalogue(self):
        tester = self.model_tester
        model = tester.create_model(loss_type="cross_entropy")
        inputs = tester.inputs()
        with torch.no_grad():
            output = model(**inputs)
        torch.testing.assert_close(output.loss,
                                   torch.nn.functional.cross_entropy(output.rec_logits, inputs["rec_labels"]))

    @pytest.mark.parametrize(("key", "value", "message"), [
        ("context_item_positions", [[0, 99]], r"context_item_positions must hold catalogue positions in "
                                              r"\[0, n_items=\d+\) or -1 \(padding\), but got \[99\]"),
        ("context_item_positions", [[-2]], r"but got \[-2\]"),
        ("context_item_positions", [0, 1], r"must be \(batch, length\) catalogue positions padded with -1, "
                                           r"but got \(2,\)"),
        ("history_item_positions", [[1], [2]], "history_item_positions has 2 rows, but the batch has 1"),
        ("rec_labels", [99], r"rec_labels must be catalogue positions in \[0, n_items=\d+\) or -100"),
        ("negative_item_positions", [[0]], r"negative_item_positions must have the sequence's shape"),
    ])
    def test_bad_input_is_refused_naming_it(self, key, value, message):
        model = self.model_tester.create_model()
        inputs = {"context_item_positions": torch.tensor([[0, 1]]), "rec_labels": torch.tensor([2]),
                  key: torch.tensor(value)}
        with pytest.raises(ValueError, match=message):
            model(**inputs)
