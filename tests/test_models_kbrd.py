"""KBRD: output shapes of every head, training, generation, config checks, stage transfer."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids, random_graph

from crs_hf.models import KBRDConfig, KBRDForConversation, KBRDForRecommendation, KBRDModel


class KBRDModelTester:
    all_model_classes = (KBRDModel, KBRDForRecommendation, KBRDForConversation)
    base_model_class, conversation_class = KBRDModel, KBRDForConversation

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, num_layers=2, num_heads=2, ffn_size=37,
                 n_entity=50, n_relation=4, num_bases=2, kg_emb_dim=32, n_edges=120, context_length=11,
                 target_length=7, num_entities=5):
        self.batch_size, self.context_length, self.target_length = batch_size, context_length, target_length
        self.num_entities, self.n_edges = num_entities, n_edges
        self.config_kwargs = dict(
            vocab_size=vocab_size, token_emb_dim=hidden_size, n_layers=num_layers, n_heads=num_heads,
            ffn_size=ffn_size, n_positions=64, n_entity=n_entity, n_relation=n_relation, num_bases=num_bases,
            kg_emb_dim=kg_emb_dim, user_proj_dim=24, item_ids=[3, 5, 8, 13, 21, 34, 40],
        )

    def get_config(self, **overrides) -> KBRDConfig:
        return KBRDConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        model = model_class(self.get_config(**overrides))
        generator = torch.Generator().manual_seed(1)
        model.set_entity_graph(*random_graph(model.config.n_entity, self.n_edges, model.config.n_relation, generator))
        return model.eval()

    def inputs(self, model_class) -> dict:
        generator = torch.Generator().manual_seed(2)
        config = self.get_config()
        context_entities = padded_ids(self.batch_size, self.num_entities, 1, config.n_entity, generator)
        context_entities[0] = config.pad_entity_id  # a user who has mentioned nothing yet
        if model_class is KBRDModel:
            return {"context_entities": context_entities}
        if model_class is KBRDForRecommendation:
            rec_labels = torch.randint(0, config.n_items, (self.batch_size,), generator=generator)
            return {"context_entities": context_entities, "rec_labels": rec_labels}
        labels = padded_ids(self.batch_size, self.target_length, 3, config.vocab_size, generator, pad=-100)
        return {**self.generation_inputs(), "labels": labels}

    def generation_inputs(self) -> dict:
        generator = torch.Generator().manual_seed(3)
        config = self.get_config()
        return {
            "input_ids": padded_ids(self.batch_size, self.context_length, 3, config.vocab_size, generator),
            "context_entities": padded_ids(self.batch_size, self.num_entities, 1, config.n_entity, generator),
        }


class TestKBRD(ModelTesterMixin):
    model_tester = KBRDModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        base = tester.create_model(KBRDModel)(**tester.inputs(KBRDModel))
        assert base.user_embedding.shape == (batch, config.kg_emb_dim)
        assert base.entity_embeddings.shape == (config.n_entity, config.kg_emb_dim)
        assert torch.equal(base.user_embedding[0], torch.zeros(config.kg_emb_dim))  # no entities -> zero user

        rec = tester.create_model(KBRDForRecommendation)(**tester.inputs(KBRDForRecommendation))
        assert rec.loss.shape == ()
        assert rec.rec_logits.shape == (batch, 7)
        assert rec.user_embedding.shape == (batch, config.kg_emb_dim)

        conv = tester.create_model(KBRDForConversation)(**tester.inputs(KBRDForConversation))
        assert conv.loss.shape == ()
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.encoder_last_hidden_state.shape == (batch, tester.context_length, config.token_emb_dim)
        assert conv.user_embedding.shape == (batch, config.kg_emb_dim)
        assert conv.past_key_values is None  # no cache when training with labels

    def test_items_are_scored_over_the_catalogue_with_entity_vectors(self):
        tester = self.model_tester
        model = tester.create_model(KBRDForRecommendation)
        with torch.no_grad():
            model.item_scorer.bias.normal_()
            out = model(**tester.inputs(KBRDForRecommendation))
            entities = model.model(tester.inputs(KBRDModel)["context_entities"]).entity_embeddings
        items = torch.tensor(model.config.item_ids)
        expected = out.user_embedding @ entities[items].t() + model.item_scorer.bias
        torch.testing.assert_close(out.rec_logits, expected)

        all_entities = tester.create_model(KBRDForRecommendation, item_ids=None)
        assert all_entities(**tester.inputs(KBRDModel)).rec_logits.shape == (tester.batch_size, 50)

    def test_user_vector_biases_every_decoding_position(self):
        tester = self.model_tester
        model = tester.create_model(KBRDForConversation)
        inputs = tester.inputs(KBRDForConversation)
        with torch.no_grad():
            out = model(**inputs)
            other = model(**{**inputs, "context_entities": inputs["context_entities"].roll(1, 0)})
        # the decoder does not see the entities; only the user bias, the same at every position, changes
        difference = out.logits - other.logits
        torch.testing.assert_close(difference, difference[:, :1].expand_as(difference))

    def test_conversation_stage_starts_from_the_recommender(self, tmp_path):
        tester = self.model_tester
        recommender = tester.create_model(KBRDForRecommendation)
        with torch.no_grad():
            recommender.model.user_attention.weight.add_(1.0)
        recommender.save_pretrained(tmp_path)
        conversation = KBRDForConversation.from_pretrained(tmp_path)
        for name, tensor in recommender.model.state_dict().items():
            assert torch.equal(conversation.model.state_dict()[name], tensor), name
        assert conversation.config.n_entity_edges == tester.n_edges

    def test_set_entity_graph_checks_the_edges(self):
        model = self.model_tester.create_model(KBRDModel)
        with pytest.raises(ValueError, match=r"node ids in \[0, 50\]"):
            model.set_entity_graph(torch.tensor([[0], [50]]), torch.tensor([0]))
        with pytest.raises(ValueError, match="n_relation=4"):
            model.set_entity_graph(torch.tensor([[1], [2]]), torch.tensor([4]))
        with pytest.raises(ValueError, match=r"shape \(2, num_edges\)"):
            model.set_entity_graph(torch.tensor([1, 2]), torch.tensor([0]))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"token_emb_dim": 30, "n_heads": 4}, r"token_emb_dim \(30\) must be a multiple of n_heads \(4\)"),
            ({"token_emb_dim": 33, "n_heads": 1}, "even token_emb_dim, but got 33"),
            ({"pad_token_id": 99}, r"pad_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"item_ids": [3, 3]}, "item_ids must be distinct"),
            ({"item_ids": [0, 60]}, r"pad_entity_id=0, but got \[0, 60\]"),
            ({"item_ids": []}, "item_ids is empty"),
            ({"dropout": 1.0}, r"dropout must be in \[0, 1\), but got 1.0"),
            ({"num_bases": 0}, r"num_bases \(0\) and n_relation \(4\)"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
