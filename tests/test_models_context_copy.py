"""ContextCopy: literal rankings (mentioned items first, most recent first, then by popularity), literal counts."""

import pytest
import torch
import torch.nn.functional as F
from rec_models_common import RecModelTesterMixin
from rec_models_extra import CountingModelTesterMixin

from crs_hf.models.context_copy import CRS_MODEL, ContextCopyConfig, ContextCopyForRecommendation


class ContextCopyModelTester:
    spec, n_items = CRS_MODEL, 6

    def empty_model(self) -> ContextCopyForRecommendation:
        return ContextCopyForRecommendation(ContextCopyConfig(n_items=self.n_items)).eval()

    def create_model(self) -> ContextCopyForRecommendation:
        """Counts [0, 1, 2, 3, 4, 5]: popularity ranks 5, 4, 3, 2, 1, 0."""
        model = self.empty_model()
        model.observe(rec_labels=torch.tensor([5] * 5 + [4] * 4 + [3] * 3))
        model.observe(rec_labels=torch.tensor([2, 2, 1, -100]))
        return model

    def inputs(self) -> dict:
        context = torch.full((13, 4), -1)
        context[0] = torch.tensor([3, 1, 3, -1])
        context[2] = torch.tensor([0, 4, 2, 5])
        return {"context_item_positions": context, "rec_labels": torch.arange(13) % self.n_items}


class TestContextCopy(RecModelTesterMixin, CountingModelTesterMixin):
    model_tester = ContextCopyModelTester()

    def test_mentioned_items_come_first_most_recent_first_then_by_popularity(self):
        model = self.model_tester.create_model()
        context = torch.tensor([[3, 1, 3, -1], [-1, -1, -1, -1], [0, 4, 2, 5]])
        output = model(context_item_positions=context, rec_labels=torch.tensor([1, 0, 3]))
        ranking = output.rec_logits.argsort(dim=-1, descending=True, stable=True)
        assert ranking.tolist() == [[3, 1, 5, 4, 2, 0], [5, 4, 3, 2, 1, 0], [5, 2, 4, 0, 3, 1]]
        log_p = torch.log(torch.arange(1, 7) / 21.0)  # add-one smoothed counts 1..6 over 21
        expected = torch.stack([
            torch.tensor([log_p[0], 2.0, log_p[2], 3.0, log_p[4], log_p[5]]),  # 3 last at index 2, 1 at index 1
            log_p,
            torch.tensor([1.0, log_p[1], 3.0, log_p[3], 2.0, 4.0]),
        ])
        torch.testing.assert_close(output.rec_logits, expected)
        torch.testing.assert_close(output.loss, F.cross_entropy(expected, torch.tensor([1, 0, 3])))

    def test_latest_mentions_count_from_the_start_of_the_context(self):
        model = self.model_tester.create_model()
        latest = model.model(torch.tensor([[2, 2, -1, 4], [-1, 0, -1, -1]])).latest_mentions
        assert latest.tolist() == [[-1, -1, 1, -1, 3, -1], [1, -1, -1, -1, -1, -1]]

    def test_a_position_outside_the_catalogue_is_refused(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match=r"context_item_positions must hold catalogue positions in "
                                             r"\[0, n_items=6\) or -1 \(padding\), but got \[6\]"):
            model(context_item_positions=torch.tensor([[1, 6]]))
        with pytest.raises(ValueError, match=r"context_item_positions must be \(batch, length\)"):
            model(context_item_positions=None)
