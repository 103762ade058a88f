"""A tester base and training checks for the gradient-trained recommenders (TextCNN, R-GCN, BERT).

`RecModelTester` gives the `model_tester` interface of both `RecModelTesterMixin` (`create_model()`, `inputs()`)
and `ModelTesterMixin` (`create_model(model_class)`, `inputs(model_class)`, `all_model_classes`), so that
`RecTrainingTesterMixin` reuses the latter's training check. A subclass sets `spec` (the model's `CRS_MODEL`),
`config_kwargs` (its tiny config) and `inputs()`, and loads side data in `prepare(model)`.
"""

import pytest
import torch
from models_common import ModelTesterMixin


class RecModelTester:
    spec = None
    config_kwargs: dict = {}

    @property
    def rec_class(self):
        return self.spec.head("rec").model_class

    @property
    def all_model_classes(self) -> tuple:
        return (self.rec_class,)

    @property
    def base_model_class(self):
        return self.spec.base_model_class

    def get_config(self, **overrides):
        return self.spec.config_class(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class=None, **overrides):
        """A seeded model (the rec head by default) with its side data, in eval mode."""
        torch.manual_seed(0)
        model = (model_class or self.rec_class)(self.get_config(**overrides))
        self.prepare(model)
        return model.eval()

    def prepare(self, model) -> None:
        """Loads the side data a new model needs (e.g. its entity graph)."""

    def inputs(self, model_class=None) -> dict:
        raise NotImplementedError


class RecTrainingTesterMixin:
    model_tester = None

    test_loss_decreases_on_a_fixed_batch = ModelTesterMixin.test_loss_decreases_on_a_fixed_batch

    def test_every_trainable_parameter_gets_a_gradient(self):
        model = self.model_tester.create_model().train()
        model(**self.model_tester.inputs()).loss.backward()
        missing = [name for name, parameter in model.named_parameters()
                   if parameter.requires_grad and (parameter.grad is None or not parameter.grad.any())]
        assert not missing, f"no gradient reaches {missing}"

    def test_ignored_labels_do_not_count(self):
        model = self.model_tester.create_model()
        inputs = self.model_tester.inputs()
        labels = inputs["rec_labels"].clone()
        labels[::2] = -100
        with torch.no_grad():
            logits = model(**inputs).rec_logits
            loss = model(**{**inputs, "rec_labels": labels}).loss
        kept = labels != -100
        torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits[kept], labels[kept]))

    def test_bad_labels_raise_a_clear_error(self):
        tester = self.model_tester
        inputs = tester.inputs()
        labels = inputs["rec_labels"].clone()
        labels[1] = tester.n_items
        message = rf"catalogue positions in \[0, n_items={tester.n_items}\).*\[{tester.n_items}\]"
        with pytest.raises(ValueError, match=message):
            tester.create_model()(**{**inputs, "rec_labels": labels})
        with pytest.raises(ValueError, match=r"rec_labels must be \(13,\) catalogue positions"):
            tester.create_model()(**{**inputs, "rec_labels": labels[:, None]})
