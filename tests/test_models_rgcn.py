"""R-GCN recommender: scores and loss recomputed with dense per-relation matrices, training, input checks."""

import pytest
import torch
import torch.nn.functional as F
from models_common import padded_ids, random_graph
from rec_models_common import RecModelTesterMixin
from rec_models_extra2 import RecModelTester, RecTrainingTesterMixin

from crs_hf.models.rgcn import CRS_MODEL, RGCNForRecommendation, RGCNModel


class RGCNModelTester(RecModelTester):
    spec = CRS_MODEL

    def __init__(self, batch_size=13, n_entity=50, n_relation=4, num_bases=2, kg_emb_dim=32, n_edges=120,
                 num_entities=5):
        self.batch_size, self.num_entities, self.n_edges = batch_size, num_entities, n_edges
        self.config_kwargs = dict(n_entity=n_entity, n_relation=n_relation, num_bases=num_bases,
                                  kg_emb_dim=kg_emb_dim, item_ids=[3, 5, 8, 13, 21, 34, 40, 44, 47])
        self.n_items = len(self.config_kwargs["item_ids"])

    def graph(self):
        return random_graph(50, self.n_edges, 4, torch.Generator().manual_seed(1))

    def prepare(self, model) -> None:
        model.set_entity_graph(*self.graph())

    def inputs(self, model_class=None) -> dict:
        generator = torch.Generator().manual_seed(2)
        context_entities = padded_ids(self.batch_size, self.num_entities, 1, 50, generator)
        context_entities[0] = 0  # a user who has mentioned nothing yet
        rec_labels = torch.randint(0, self.n_items, (self.batch_size,), generator=generator)
        return {"context_entities": context_entities, "rec_labels": rec_labels}


def dense_rgcn(state: dict, edge_index: torch.Tensor, edge_type: torch.Tensor, n_entity: int) -> torch.Tensor:
    """Schlichtkrull et al.'s featureless R-GCN layer (torch_geometric's `RGCNConv(x=None)`, as KBRD runs it) with
    one dense adjacency per relation: h = root + bias + sum_r D_r^-1 A_r W_r, W_r = sum_b comp[r, b] basis_b."""
    prefix = "model.entity_encoder.conv."
    bases, comp = state[prefix + "weight"], state[prefix + "comp"]
    out = state[prefix + "root"] + state[prefix + "bias"]
    for relation in range(comp.shape[0]):
        edges = edge_type == relation
        adjacency = torch.zeros(n_entity, n_entity)  # adjacency[target, source] = number of such edges
        adjacency.index_put_((edge_index[1, edges], edge_index[0, edges]), torch.ones(int(edges.sum())),
                             accumulate=True)
        mean = adjacency / adjacency.sum(1, keepdim=True).clamp(min=1)
        out = out + mean @ torch.einsum("b,bnd->nd", comp[relation], bases)
    return out


class TestRGCN(RecModelTesterMixin, RecTrainingTesterMixin):
    model_tester = RGCNModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        output = tester.create_model()(**tester.inputs())
        assert output.user_embedding.shape == (tester.batch_size, 32)
        assert torch.equal(output.user_embedding[0], torch.zeros(32))  # no entities -> zero user
        base = tester.create_model(RGCNModel)(tester.inputs()["context_entities"])
        assert base.entity_embeddings.shape == (50, 32)

    def test_scores_and_loss_equal_dense_rgcn_mean_pooling(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            model.item_scorer.bias.normal_()
            output = model(**inputs)
        entities = dense_rgcn(model.state_dict(), *tester.graph(), n_entity=50)
        users = torch.stack([entities[row[row != 0]].mean(0) if (row != 0).any() else torch.zeros(32)
                             for row in inputs["context_entities"]])
        items = entities[torch.tensor(model.config.item_ids)]
        expected = users @ items.t() + model.item_scorer.bias
        torch.testing.assert_close(output.rec_logits, expected)
        torch.testing.assert_close(output.loss, F.cross_entropy(expected, inputs["rec_labels"]))

    def test_every_entity_is_scored_without_item_ids(self):
        tester = self.model_tester
        model = tester.create_model(item_ids=None)
        assert model(tester.inputs()["context_entities"]).rec_logits.shape == (tester.batch_size, 50)

    def test_graph_is_saved_with_the_weights(self, tmp_path):
        model = self.model_tester.create_model()
        model.save_pretrained(tmp_path)
        loaded = RGCNForRecommendation.from_pretrained(tmp_path)
        assert loaded.config.n_entity_edges == self.model_tester.n_edges
        assert torch.equal(loaded.model.entity_encoder.edge_index, self.model_tester.graph()[0])

    def test_bad_input_raises_a_clear_error(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match=r"context_entities must be \(batch, num_entities\).*got \(3,\)"):
            model(torch.tensor([1, 2, 3]))
        with pytest.raises(ValueError, match=r"entity ids in \[0, 50\], but n_entity=50"):
            model(torch.tensor([[0, 50]]))
        with pytest.raises(ValueError, match=r"node ids in \[0, 50\]"):
            model.set_entity_graph(torch.tensor([[0], [50]]), torch.tensor([0]))
        with pytest.raises(ValueError, match="n_relation=4"):
            model.set_entity_graph(torch.tensor([[1], [2]]), torch.tensor([4]))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"item_ids": [3, 3]}, "item_ids must be distinct"),
            ({"item_ids": [0, 60]}, r"pad_entity_id=0, but got \[0, 60\]"),
            ({"pad_entity_id": 50}, r"pad_entity_id \(50\) must be in \[0, n_entity=50\)"),
            ({"num_bases": 0}, r"num_bases \(0\) and n_relation \(4\)"),
            ({"n_entity_edges": -1}, "n_entity_edges must be >= 0, but got -1"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
