"""Popularity: literal counts, literal log-probabilities and loss, the same ranking for every context."""

import math

import torch
from rec_models_common import RecModelTesterMixin
from rec_models_extra import CountingModelTesterMixin

from crs_hf.models.popularity import CRS_MODEL, PopularityConfig, PopularityForRecommendation, PopularityModel


class PopularityModelTester:
    spec, n_items = CRS_MODEL, 7

    def empty_model(self) -> PopularityForRecommendation:
        return PopularityForRecommendation(PopularityConfig(n_items=self.n_items)).eval()

    def create_model(self) -> PopularityForRecommendation:
        model = self.empty_model()
        model.observe(rec_labels=torch.tensor([3, 3, 3, 1, 1, 6, -100]))
        return model

    def inputs(self) -> dict:
        context = torch.full((13, 2), -1)
        context[1] = torch.tensor([4, 5])
        return {"context_item_positions": context, "rec_labels": torch.arange(13) % self.n_items}


class TestPopularity(RecModelTesterMixin, CountingModelTesterMixin):
    model_tester = PopularityModelTester()

    def test_scores_are_the_smoothed_log_popularity_of_the_gold_items(self):
        model = self.model_tester.create_model()  # counts [0, 2, 0, 3, 0, 0, 1]: 6 gold items, add-one smoothing
        labels = torch.tensor([3, 0, -100])
        output = model(rec_labels=labels, context_item_positions=torch.tensor([[2], [-1], [4]]))
        expected = torch.log(torch.tensor([1, 3, 1, 4, 1, 1, 2]) / 13.0)
        torch.testing.assert_close(output.rec_logits, expected.expand(3, -1))
        torch.testing.assert_close(output.loss, torch.tensor(-(math.log(4 / 13) + math.log(1 / 13)) / 2))
        assert output.rec_logits.argmax(-1).tolist() == [3, 3, 3]
        assert output.rec_logits[0].topk(3).indices.tolist() == [3, 1, 6]

    def test_the_batch_size_comes_from_either_input(self):
        model = self.model_tester.create_model()
        assert model(context_item_positions=torch.full((4, 3), -1)).rec_logits.shape == (4, 7)
        assert model(rec_labels=torch.tensor([1, 2])).rec_logits.shape == (2, 7)
        assert PopularityModel(model.config)(batch_size=5).item_log_probabilities.shape == (5, 7)

    def test_smoothing_sets_how_far_unseen_items_fall(self):
        model = PopularityForRecommendation(PopularityConfig(n_items=3, smoothing=0.5))
        model.observe(rec_labels=torch.tensor([0, 0, 1]))
        expected = torch.log(torch.tensor([2.5, 1.5, 0.5]) / 4.5)
        torch.testing.assert_close(model(rec_labels=torch.tensor([2])).rec_logits[0], expected)
