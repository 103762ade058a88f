"""ReDial's AutoRec against CRSLab's `ReDialRecModel.forward` on `get_onehot` inputs, written out on the model's
state dict: `nn.Linear(n_entity, ...)` over the averaged one-hot vector, the hidden layers, `CrossEntropyLoss`."""

import pytest
import torch
from models_common import crslab_cross_entropy, crslab_get_onehot

from crs_hf.models import ReDialConfig, ReDialForRecommendation

N_ENTITY = 12
CONTEXT_ENTITIES = torch.tensor([[3, 5, 7], [0, 0, 0], [9, 0, 0], [2, 11, 4]])  # row 1: no entity yet
ITEMS = torch.tensor([5, 8, 1, 10])


def autorec(**overrides) -> ReDialForRecommendation:
    torch.manual_seed(0)
    config = ReDialConfig(vocab_size=20, n_entity=N_ENTITY, autorec_layer_sizes=[7, 5], **overrides)
    return ReDialForRecommendation(config).eval()


def crslab_autorec(state: dict, x: torch.Tensor, f, g) -> torch.Tensor:
    hidden = f(x @ state["autorec.entity_embeddings.weight"] + state["autorec.input_bias"])  # nn.Linear(n_entity, .)
    hidden = f(hidden @ state["autorec.hidden_layers.0.weight"].t() + state["autorec.hidden_layers.0.bias"])
    return g(hidden @ state["autorec.output.weight"].t() + state["autorec.output.bias"])


@pytest.mark.parametrize(("autorec_g", "g"), [("sigmoid", torch.sigmoid), ("identity", lambda x: x)])
def test_autorec_equals_crslab_on_averaged_entities(autorec_g, g):
    model = autorec(autorec_f="sigmoid", autorec_g=autorec_g)  # CRSLab's redial.yaml: sigmoid, sigmoid
    with torch.no_grad():
        out = model(context_entities=CONTEXT_ENTITIES, rec_labels=ITEMS)
    x = crslab_get_onehot(CONTEXT_ENTITIES, 0, N_ENTITY)  # ReDialDataLoader.rec_batchify
    scores = crslab_autorec(model.state_dict(), x, torch.sigmoid, g)
    torch.testing.assert_close(out.rec_logits, scores)
    torch.testing.assert_close(out.loss, crslab_cross_entropy(scores, ITEMS))


def test_sum_input_reads_the_multi_hot_vector():
    model = autorec(autorec_input="sum")  # crs_hf's earlier input, kept behind the switch
    with torch.no_grad():
        out = model(context_entities=CONTEXT_ENTITIES)
    x = (crslab_get_onehot(CONTEXT_ENTITIES, 0, N_ENTITY) > 0).float()
    torch.testing.assert_close(out.rec_logits, crslab_autorec(model.state_dict(), x, torch.sigmoid, lambda x: x))
