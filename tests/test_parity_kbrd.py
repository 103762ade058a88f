"""KBRD's recommender against CRSLab's `KBRDModel.recommend`, written out on the model's state dict: R-GCN as dense
per-relation matrices, `SelfAttentionBatch` per user, `F.linear(user, kg, rec_bias.bias)` and `CrossEntropyLoss`."""

import torch
from models_common import crslab_cross_entropy, crslab_rgcn, crslab_self_attention, random_graph

from crs_hf.models import KBRDConfig, KBRDForRecommendation

N_ENTITY = 12
CONTEXT_ENTITIES = torch.tensor([[3, 5, 7], [0, 0, 0], [9, 0, 0], [2, 11, 4]])  # row 1: nothing mentioned yet
ITEMS = torch.tensor([5, 8, 1, 10])  # entity ids (CRSLab's `item`)


def recommender(**overrides) -> KBRDForRecommendation:
    torch.manual_seed(0)
    config = KBRDConfig(vocab_size=20, token_emb_dim=8, ffn_size=8, n_positions=8, n_entity=N_ENTITY, n_relation=3,
                        num_bases=2, kg_emb_dim=6, user_proj_dim=4, **overrides)
    model = KBRDForRecommendation(config)
    model.set_entity_graph(*random_graph(N_ENTITY, 40, 3, torch.Generator().manual_seed(1)))
    with torch.no_grad():
        model.item_scorer.bias.normal_()  # CRSLab's rec_bias starts at zero: make it count
    return model.eval()


def crslab_scores(state: dict, bias: torch.Tensor) -> torch.Tensor:
    kg = crslab_rgcn(state, "model.entity_encoder", N_ENTITY)
    user = crslab_self_attention(kg, CONTEXT_ENTITIES, 0, state["model.user_attention.weight"],
                                 state["model.user_attention.vector"])
    return user @ kg.t() + bias  # F.linear(user_embedding, kg_embedding, self.rec_bias.bias)


def test_scores_and_loss_over_every_entity_equal_crslab():
    model = recommender()  # item_ids=None: every entity is a class, as CRSLab trains
    with torch.no_grad():
        out = model(context_entities=CONTEXT_ENTITIES, rec_labels=ITEMS)
    state = model.state_dict()
    scores = crslab_scores(state, state["item_scorer.bias"])
    torch.testing.assert_close(out.rec_logits, scores)
    torch.testing.assert_close(out.loss, crslab_cross_entropy(scores, ITEMS))


def test_catalogue_scores_are_crslab_columns_of_the_items():
    item_ids = [8, 1, 5, 10, 2]
    model = recommender(item_ids=item_ids)
    with torch.no_grad():
        out = model(context_entities=CONTEXT_ENTITIES, rec_labels=torch.tensor([2, 0, 1, 3]))  # catalogue positions
    state = model.state_dict()
    bias = torch.randn(N_ENTITY)  # CRSLab's bias for every entity; the catalogue's entries are ours
    bias[item_ids] = state["item_scorer.bias"]
    scores = crslab_scores(state, bias)[:, item_ids]  # CRSLab's rec_evaluate: rec_predict[:, self.item_ids]
    torch.testing.assert_close(out.rec_logits, scores)
    torch.testing.assert_close(out.loss, crslab_cross_entropy(scores, torch.tensor([2, 0, 1, 3])))
