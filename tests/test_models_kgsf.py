"""KGSF: output shapes of the four classes, the infomax term, the decoder's KG attention and copy mechanism."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids, random_graph

from crs_hf.models import KGSFConfig, KGSFForConversation, KGSFForPretraining, KGSFForRecommendation, KGSFModel
from crs_hf.models.kgsf.modeling_kgsf import infomax_loss


class KGSFModelTester:
    all_model_classes = (KGSFModel, KGSFForPretraining, KGSFForRecommendation, KGSFForConversation)
    base_model_class, conversation_class = KGSFModel, KGSFForConversation

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, num_layers=2, num_heads=2, ffn_size=37,
                 n_entity=50, n_relation=4, n_word=40, kg_emb_dim=32, context_length=11, target_length=7,
                 num_entities=5, num_words=6):
        self.batch_size, self.context_length, self.target_length = batch_size, context_length, target_length
        self.num_entities, self.num_words = num_entities, num_words
        self.config_kwargs = dict(
            vocab_size=vocab_size, token_emb_dim=hidden_size, n_layers=num_layers, n_heads=num_heads,
            ffn_size=ffn_size, n_positions=64, n_entity=n_entity, n_relation=n_relation, num_bases=2,
            kg_emb_dim=kg_emb_dim, n_word=n_word, item_ids=[3, 5, 8, 13, 21, 34, 40],
        )

    def get_config(self, **overrides) -> KGSFConfig:
        return KGSFConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        model = model_class(self.get_config(**overrides))
        generator = torch.Generator().manual_seed(1)
        config = model.config
        model.set_entity_graph(*random_graph(config.n_entity, 120, config.n_relation, generator))
        model.set_word_graph(random_graph(config.n_word, 90, 1, generator)[0])
        return model.eval()

    def inputs(self, model_class) -> dict:
        generator = torch.Generator().manual_seed(2)
        config = self.get_config()
        graph = self.graph_inputs(generator)
        if model_class is KGSFModel:
            return graph
        if model_class is KGSFForPretraining:
            return {"context_words": graph["context_words"], "entity_labels": graph["context_entities"]}
        if model_class is KGSFForRecommendation:
            return {**graph, "rec_labels": torch.randint(0, config.n_items, (self.batch_size,), generator=generator)}
        labels = padded_ids(self.batch_size, self.target_length, 3, config.vocab_size, generator, pad=-100)
        return {**self.generation_inputs(), "labels": labels}

    def graph_inputs(self, generator: torch.Generator) -> dict:
        config = self.get_config()
        context_entities = padded_ids(self.batch_size, self.num_entities, 1, config.n_entity, generator)
        context_words = padded_ids(self.batch_size, self.num_words, 1, config.n_word, generator)
        context_entities[0] = config.pad_entity_id  # no entity yet
        context_words[1] = config.pad_word_id  # no word yet
        return {"context_entities": context_entities, "context_words": context_words}

    def generation_inputs(self) -> dict:
        generator = torch.Generator().manual_seed(3)
        input_ids = padded_ids(self.batch_size, self.context_length, 3, self.get_config().vocab_size, generator)
        return {"input_ids": input_ids, **self.graph_inputs(generator)}


class TestKGSF(ModelTesterMixin):
    model_tester = KGSFModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        dim = config.kg_emb_dim
        base = tester.create_model(KGSFModel)(**tester.inputs(KGSFModel))
        for name in ("user_embedding", "entity_user_embedding", "word_user_embedding"):
            assert getattr(base, name).shape == (batch, dim), name
        assert base.entity_embeddings.shape == (config.n_entity, dim)
        assert base.word_embeddings.shape == (config.n_word, dim)
        assert torch.equal(base.entity_user_embedding[0], torch.zeros(dim))
        assert torch.equal(base.word_user_embedding[1], torch.zeros(dim))

        pretraining = tester.create_model(KGSFForPretraining)(**tester.inputs(KGSFForPretraining))
        assert pretraining.loss.shape == ()
        assert pretraining.infomax_logits.shape == (batch, config.n_entity)

        rec = tester.create_model(KGSFForRecommendation)(**tester.inputs(KGSFForRecommendation))
        assert rec.rec_logits.shape == (batch, 7)
        assert rec.user_embedding.shape == (batch, dim)
        torch.testing.assert_close(rec.loss, rec.rec_loss + config.infomax_weight * rec.infomax_loss)

        conv = tester.create_model(KGSFForConversation)(**tester.inputs(KGSFForConversation))
        assert conv.loss.shape == ()
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.encoder_last_hidden_state.shape == (batch, tester.context_length, config.token_emb_dim)

    def test_infomax_loss_is_the_summed_squared_error_per_target_entity(self):
        logits = torch.tensor([[0.5, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 0.0]])
        entity_ids = torch.tensor([[1, 3, 1], [0, -100, 0]])  # padding (0), -100 and a repeat are ignored
        target = torch.tensor([[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
        expected = ((logits - target) ** 2).sum() / 2
        torch.testing.assert_close(infomax_loss(logits, entity_ids, pad_entity_id=0, target="multi_hot"), expected)
        assert infomax_loss(logits, torch.zeros(2, 3, dtype=torch.long), pad_entity_id=0).item() == 0.0
        # CRSLab's get_onehot: the row's two distinct entities weigh 1/2 each; one row has entities
        expected = ((logits - target / 2) ** 2).sum() / 1
        torch.testing.assert_close(infomax_loss(logits, entity_ids, pad_entity_id=0), expected)
        with pytest.raises(ValueError, match="'distribution' or 'multi_hot', but got 'onehot'"):
            infomax_loss(logits, entity_ids, pad_entity_id=0, target="onehot")

    def test_decoder_attends_to_context_entities_and_words(self):
        tester = self.model_tester
        model = tester.create_model(KGSFForConversation)
        inputs = tester.inputs(KGSFForConversation)
        with torch.no_grad():
            model.copy_head.set_copy_mask(torch.zeros(model.config.vocab_size, dtype=torch.bool))
            out = model(**inputs)
            for key in ("context_entities", "context_words"):
                other = model(**{**inputs, key: inputs[key].roll(1, 0)})
                # without copy scores, the entities/words reach the logits only through the decoder's attention
                difference = (out.logits - other.logits).abs().amax(dim=(1, 2))
                assert (difference > 0).all(), key

    def test_copy_mask_limits_the_copy_scores(self):
        tester = self.model_tester
        model = tester.create_model(KGSFForConversation)
        inputs = tester.inputs(KGSFForConversation)
        copyable = torch.zeros(model.config.vocab_size, dtype=torch.bool)
        copyable[10:20] = True
        with torch.no_grad():
            full = model(**inputs).logits
            model.set_copy_mask(copyable)
            masked = model(**inputs).logits
            model.copy_head.copy_output.bias.add_(1.0)
            shifted = model(**inputs).logits
        assert torch.equal((shifted - masked)[..., ~copyable], torch.zeros_like(masked[..., ~copyable]))
        torch.testing.assert_close((shifted - masked)[..., copyable], torch.ones_like(masked[..., copyable]))
        assert not torch.equal(full, masked)
        with pytest.raises(ValueError, match=r"shape \(99,\)"):
            model.set_copy_mask(torch.ones(5, dtype=torch.bool))

    def test_stages_chain_through_from_pretrained(self, tmp_path):
        tester = self.model_tester
        pretraining = tester.create_model(KGSFForPretraining)
        with torch.no_grad():
            pretraining.infomax_norm.weight.add_(1.0)
        pretraining.save_pretrained(tmp_path / "pretrain")
        recommender = KGSFForRecommendation.from_pretrained(tmp_path / "pretrain")
        assert torch.equal(recommender.infomax_norm.weight, pretraining.infomax_norm.weight)
        recommender.save_pretrained(tmp_path / "rec")
        conversation = KGSFForConversation.from_pretrained(tmp_path / "rec")
        for name, tensor in recommender.model.state_dict().items():
            assert torch.equal(conversation.model.state_dict()[name], tensor), name
        assert conversation.config.n_word_edges == 90

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"token_emb_dim": 30, "n_heads": 4}, r"token_emb_dim \(30\) must be a multiple of n_heads \(4\)"),
            ({"pad_word_id": 40}, r"pad_word_id \(40\) must be in \[0, n_word=40\)"),
            ({"item_ids": [7, 7, 9]}, "1 of the 3 ids repeat"),
            ({"attention_dropout": -0.1}, r"attention_dropout must be in \[0, 1\)"),
            ({"n_word_edges": -1}, "n_word_edges=-1"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)

    def test_conversation_needs_entities_and_words(self):
        tester = self.model_tester
        model = tester.create_model(KGSFForConversation)
        inputs = tester.inputs(KGSFForConversation)
        del inputs["context_words"]
        with pytest.raises(ValueError, match="needs context_entities and context_words"):
            model(**inputs)
