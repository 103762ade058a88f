"""KGSF's pretraining and recommender heads against CRSLab's `KGSFModel.pretrain_infomax` and `recommend` (and
`KGSFSystem`'s `rec_loss + 0.025 * info_loss`), written out on the model's state dict: R-GCN as dense per-relation
matrices, GCN as a dense normalised adjacency, `SelfAttentionSeq` per context, `GateLayer`, `get_onehot` targets
and `MSELoss(reduction="sum") / sum(targets)`."""

import pytest
import torch
from models_common import (
    crslab_cross_entropy,
    crslab_gcn,
    crslab_get_onehot,
    crslab_rgcn,
    crslab_self_attention,
    random_graph,
)

from crs_hf.models import KGSFConfig, KGSFForPretraining, KGSFForRecommendation

N_ENTITY, N_WORD = 12, 10
# every context has words (CRSLab's SelfAttentionSeq attends uniformly to padding when a context has none; crs_hf
# gives a zero vector, a documented difference)
CONTEXT_WORDS = torch.tensor([[4, 2, 0], [7, 0, 0], [1, 3, 9], [5, 8, 0]])
CONTEXT_ENTITIES = torch.tensor([[3, 5, 0], [9, 0, 0], [2, 11, 4], [6, 0, 0]])
ITEMS = torch.tensor([5, 8, 1, 10])


def kgsf(model_class, **overrides):
    torch.manual_seed(0)
    config = KGSFConfig(vocab_size=20, token_emb_dim=8, ffn_size=8, n_positions=8, n_entity=N_ENTITY, n_relation=3,
                        num_bases=2, kg_emb_dim=6, n_word=N_WORD, **overrides)
    model = model_class(config)
    generator = torch.Generator().manual_seed(1)
    model.set_entity_graph(*random_graph(N_ENTITY, 40, 3, generator))
    model.set_word_graph(random_graph(N_WORD, 30, 1, generator)[0])
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("scorer.bias"):
                parameter.normal_()  # CRSLab's biases start at zero: make them count
    return model.eval()


def crslab_graphs(state: dict):
    entity_kg = crslab_rgcn(state, "model.entity_encoder", N_ENTITY)
    word_kg = crslab_gcn(state, "model.word_encoder", N_WORD)
    word_user = crslab_self_attention(word_kg, CONTEXT_WORDS, 0, state["model.word_attention.weight"],
                                      state["model.word_attention.vector"])
    return entity_kg, word_user


def crslab_infomax(state: dict, entity_kg, word_user, entity_labels):
    """`info_predict = F.linear(infomax_norm(word_attn_rep), kg, infomax_bias.bias)`; MSE(sum) / sum(onehot)."""
    word_info = word_user @ state["infomax_norm.weight"].t() + state["infomax_norm.bias"]
    predict = word_info @ entity_kg.t() + state["infomax_scorer.bias"]
    target = crslab_get_onehot(entity_labels, 0, N_ENTITY)
    return predict, ((predict - target) ** 2).sum() / target.sum()


def test_pretraining_equals_crslab_infomax():
    model = kgsf(KGSFForPretraining)
    entity_labels = CONTEXT_ENTITIES.clone()
    entity_labels[1] = 0  # a context without entities: still in the squared error, not in the normaliser
    with torch.no_grad():
        out = model(context_words=CONTEXT_WORDS, entity_labels=entity_labels)
    state = model.state_dict()
    entity_kg, word_user = crslab_graphs(state)
    predict, loss = crslab_infomax(state, entity_kg, word_user, entity_labels)
    torch.testing.assert_close(out.infomax_logits, predict)
    torch.testing.assert_close(out.loss, loss)  # divided by 3 contexts with entities, not by 4 rows or 7 entities


def test_recommender_equals_crslab_recommend():
    model = kgsf(KGSFForRecommendation)  # item_ids=None: every entity is a class, as CRSLab trains
    with torch.no_grad():
        out = model(context_entities=CONTEXT_ENTITIES, context_words=CONTEXT_WORDS, rec_labels=ITEMS)
    state = model.state_dict()
    entity_kg, word_user = crslab_graphs(state)
    entity_user = crslab_self_attention(entity_kg, CONTEXT_ENTITIES, 0, state["model.entity_attention.weight"],
                                        state["model.entity_attention.vector"])
    hidden = torch.cat([entity_user, word_user], dim=-1) @ state["model.gate.norm_layer1.weight"].t()
    gate = torch.sigmoid((hidden + state["model.gate.norm_layer1.bias"]) @ state["model.gate.norm_layer2.weight"].t()
                         + state["model.gate.norm_layer2.bias"])
    user = gate * entity_user + (1 - gate) * word_user  # GateLayer
    scores = user @ entity_kg.t() + state["item_scorer.bias"]
    rec_loss = crslab_cross_entropy(scores, ITEMS)
    _, info_loss = crslab_infomax(state, entity_kg, word_user, CONTEXT_ENTITIES)
    torch.testing.assert_close(out.rec_logits, scores)
    torch.testing.assert_close(out.rec_loss, rec_loss)
    torch.testing.assert_close(out.infomax_loss, info_loss)
    torch.testing.assert_close(out.loss, rec_loss + 0.025 * info_loss)  # KGSFSystem.step


@pytest.mark.parametrize("model_class", [KGSFForPretraining, KGSFForRecommendation])
def test_multi_hot_target_divides_by_the_number_of_context_entities(model_class):
    model = kgsf(model_class, infomax_target="multi_hot")  # crs_hf's earlier target, kept behind the switch
    inputs = {"context_words": CONTEXT_WORDS}
    inputs |= {"entity_labels": CONTEXT_ENTITIES} if model_class is KGSFForPretraining else {
        "context_entities": CONTEXT_ENTITIES, "rec_labels": ITEMS}
    with torch.no_grad():
        out = model(**inputs)
    state = model.state_dict()
    entity_kg, word_user = crslab_graphs(state)
    predict, _ = crslab_infomax(state, entity_kg, word_user, CONTEXT_ENTITIES)
    target = (crslab_get_onehot(CONTEXT_ENTITIES, 0, N_ENTITY) > 0).float()
    expected = ((predict - target) ** 2).sum() / target.sum()
    torch.testing.assert_close(out.loss if model_class is KGSFForPretraining else out.infomax_loss, expected)
