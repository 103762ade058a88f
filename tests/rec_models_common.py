"""Checks every recommendation model passes (as transformers' tests/test_modeling_common.py does for its models).

A test class mixes `RecModelTesterMixin` in and sets `model_tester` to an object with `spec` (the model's
`CRS_MODEL`), `create_model()` (a seeded `XxxForRecommendation` with its side data set) and `inputs()` (the
forward kwargs of a small fixed batch, `rec_labels` included) and `n_items`.
"""

from dataclasses import fields

import torch
from transformers import AutoConfig, AutoModel

import crs_hf  # noqa: F401  registers the models
from crs_hf.models import CRS_MODELS


def tensor_fields(output) -> dict[str, torch.Tensor]:
    return {f.name: getattr(output, f.name) for f in fields(output) if torch.is_tensor(getattr(output, f.name))}


class RecModelTesterMixin:
    model_tester = None

    def test_is_registered_with_its_contract(self):
        spec = self.model_tester.spec
        assert CRS_MODELS[spec.model_type] is spec
        assert spec.head("rec").model_class is type(self.model_tester.create_model())

    def test_rec_logits_cover_the_catalogue(self):
        tester = self.model_tester
        inputs = tester.inputs()
        output = tester.create_model()(**inputs)
        assert output.rec_logits.shape == (len(inputs["rec_labels"]), tester.n_items)
        assert output.loss.ndim == 0 and torch.isfinite(output.loss)

    def test_save_load_round_trip_gives_identical_outputs(self, tmp_path):
        tester = self.model_tester
        model = tester.create_model()
        model.save_pretrained(tmp_path)
        assert type(AutoConfig.from_pretrained(tmp_path)) is tester.spec.config_class
        loaded = type(model).from_pretrained(tmp_path).eval()
        with torch.no_grad():
            expected, got = tensor_fields(model(**tester.inputs())), tensor_fields(loaded(**tester.inputs()))
        assert expected.keys() == got.keys()
        for name in expected:
            assert torch.equal(expected[name], got[name]), f"{name} changed"
        assert type(AutoModel.from_pretrained(tmp_path)) is tester.spec.base_model_class
