"""NTRD: output shapes of every head with and without the word graph, the selector's slot pairing and loss,
generation with the KV cache, `fill_slots`, config checks and stage transfer."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids, random_graph
from test_models_kgsf import KGSFModelTester

from crs_hf.models import KGSFForPretraining, KGSFForRecommendation, KGSFModel
from crs_hf.models.ntrd import (
    NTRDConfig,
    NTRDForConversation,
    NTRDForPretraining,
    NTRDForRecommendation,
    NTRDModel,
)

ITEM = 4  # the item placeholder token
KGSF_HEADS = {NTRDModel: KGSFModel, NTRDForPretraining: KGSFForPretraining,
              NTRDForRecommendation: KGSFForRecommendation}


class NTRDModelTester(KGSFModelTester):
    """KGSF's tester (sizes, graph and context inputs) for NTRD's classes, with or without the word graph."""

    all_model_classes = (NTRDModel, NTRDForPretraining, NTRDForRecommendation, NTRDForConversation)
    base_model_class, conversation_class = NTRDModel, NTRDForConversation

    def __init__(self, use_word_graph=True):
        super().__init__()
        self.config_kwargs.update(item_token_id=ITEM, use_word_graph=use_word_graph)
        if not use_word_graph:
            self.all_model_classes = (NTRDModel, NTRDForRecommendation, NTRDForConversation)

    def get_config(self, **overrides) -> NTRDConfig:
        return NTRDConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        model = model_class(self.get_config(**overrides))
        generator = torch.Generator().manual_seed(1)
        config = model.config
        model.set_entity_graph(*random_graph(config.n_entity, 120, config.n_relation, generator))
        if config.use_word_graph:
            model.set_word_graph(random_graph(config.n_word, 90, 1, generator)[0])
        return model.eval()

    def conversation_labels(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Templates with placeholders (rows 0, 2, 4, ... at position 0; rows 0, 3, 6, ... also at position 2, where
        the row is that long) and their items: catalogue positions, one slot of row 3 unknown (-100)."""
        labels = padded_ids(self.batch_size, self.target_length, 5, self.get_config().vocab_size, generator,
                            pad=-100)
        labels[::2, 0] = ITEM
        long_enough = labels[:, 2] != -100
        labels[(torch.arange(self.batch_size) % 3 == 0) & long_enough, 2] = ITEM
        counts = (labels == ITEM).sum(dim=1)
        items = torch.full((self.batch_size, int(counts.max())), -1)
        for row, count in enumerate(counts.tolist()):
            items[row, :count] = torch.randint(0, 7, (count,), generator=generator)
        items[3, 0] = -100
        return labels, items

    def inputs(self, model_class) -> dict:
        if model_class is not NTRDForConversation:  # the same inputs as KGSF's heads
            return super().inputs(KGSF_HEADS[model_class])
        labels, items = self.conversation_labels(torch.Generator().manual_seed(2))
        return {**self.generation_inputs(), "labels": labels, "response_item_positions": items}


class TestNTRD(ModelTesterMixin):
    model_tester = NTRDModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        base = tester.create_model(NTRDModel)(**tester.inputs(NTRDModel))
        for name in ("user_embedding", "entity_user_embedding", "word_user_embedding"):
            assert getattr(base, name).shape == (batch, config.kg_emb_dim), name
        assert base.word_embeddings.shape == (config.n_word, config.kg_emb_dim)

        pretraining = tester.create_model(NTRDForPretraining)(**tester.inputs(NTRDForPretraining))
        assert pretraining.loss.shape == () and pretraining.infomax_logits.shape == (batch, config.n_entity)

        rec = tester.create_model(NTRDForRecommendation)(**tester.inputs(NTRDForRecommendation))
        assert rec.rec_logits.shape == (batch, 7)
        torch.testing.assert_close(rec.loss, rec.rec_loss + config.infomax_weight * rec.infomax_loss)

        inputs = tester.inputs(NTRDForConversation)
        conv = tester.create_model(NTRDForConversation)(**inputs)
        n_slots = int((inputs["labels"] == ITEM).sum())
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.slot_logits.shape == (n_slots, 7) and n_slots > 7  # every other row, some twice
        assert conv.encoder_last_hidden_state.shape == (batch, tester.context_length, config.token_emb_dim)
        torch.testing.assert_close(conv.loss, 5.0 * conv.gen_loss + 1.0 * conv.selection_loss)  # CRSLab's weights
        assert conv.past_key_values is None

    def test_selection_loss_pairs_the_kth_placeholder_with_the_kth_item(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        inputs = tester.inputs(NTRDForConversation)
        with torch.no_grad():
            out = model(**inputs)
            items = inputs["response_item_positions"]
            targets = items[items != -1]  # row by row, in order: the order of slot_logits' rows
            known = targets != -100
            expected = torch.nn.functional.cross_entropy(out.slot_logits[known], targets[known])
            torch.testing.assert_close(out.selection_loss, expected)
            assert known.sum() == len(targets) - 1  # the unknown slot of row 3 is left out

            # the selector scores depend on where the placeholders are, not on which items they hold
            other = model(**{**inputs, "response_item_positions": items.masked_fill(items >= 0, 6)})
            torch.testing.assert_close(other.slot_logits, out.slot_logits)
            assert not torch.allclose(other.selection_loss, out.selection_loss)

            unknown = model(**{**inputs, "response_item_positions": items.masked_fill(items >= 0, -100)})
            assert unknown.selection_loss.item() == 0.0
            torch.testing.assert_close(unknown.loss, 5.0 * out.gen_loss)

            without = model(**{k: v for k, v in inputs.items() if k != "response_item_positions"})
            assert without.slot_logits is None and without.selection_loss is None
            torch.testing.assert_close(without.loss, 5.0 * out.gen_loss)

    def test_selection_loss_weights(self):
        tester = self.model_tester
        inputs = tester.inputs(NTRDForConversation)
        model = tester.create_model(NTRDForConversation, gen_loss_weight=0.5, selection_loss_weight=2.0)
        with torch.no_grad():
            out = model(**inputs)
        torch.testing.assert_close(out.loss, 0.5 * out.gen_loss + 2.0 * out.selection_loss)

    def test_training_fits_the_slot_items(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation).train()
        inputs = tester.inputs(NTRDForConversation)
        optimizer = torch.optim.Adam(model.selector.parameters(), lr=3e-2)  # the selector alone
        losses = []
        for _ in range(20):
            out = model(**inputs)
            out.selection_loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(out.selection_loss.item())
        assert losses[-1] < 0.3 * losses[0], losses
        items = inputs["response_item_positions"][inputs["response_item_positions"] != -1]
        known = items >= 0
        with torch.no_grad():
            picked = model.eval()(**inputs).slot_logits.argmax(dim=-1)
        assert torch.equal(picked[known], items[known])

    def test_bad_slot_items_are_one_clear_error(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        inputs = tester.inputs(NTRDForConversation)
        items = inputs["response_item_positions"]
        first = int(((inputs["labels"] == ITEM).sum(dim=1) == 2).nonzero()[0, 0])  # the first row with two slots
        with pytest.raises(ValueError, match=rf"row {first}: labels hold 2 item placeholders, but "
                                             r"response_item_positions gives 1 items"):
            one_each = torch.cat([items[:, :1], torch.full_like(items[:, 1:], -1)], dim=1)
            model(**{**inputs, "response_item_positions": one_each})
        with pytest.raises(ValueError, match=r"catalogue positions in \[0, 7\)"):
            model(**{**inputs, "response_item_positions": items.masked_fill(items >= 0, 7)})
        with pytest.raises(ValueError, match="item_token_id is None"):
            tester.create_model(NTRDForConversation, item_token_id=None)(**inputs)

    def test_placeholder_is_never_copied(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        model.set_copy_mask(torch.ones(model.config.vocab_size, dtype=torch.bool))
        assert not model.copy_head.copy_mask[ITEM] and model.copy_head.copy_mask.sum() == model.config.vocab_size - 1

    def test_decoding_feeds_the_decoder_only_the_new_token(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        lengths, forward = [], model.conv_decoder.forward

        def record(inputs_embeds, memories, past_key_values=None):
            lengths.append((inputs_embeds.shape[1], 0 if past_key_values is None else past_key_values.get_seq_length()))
            return forward(inputs_embeds, memories, past_key_values)

        model.conv_decoder.forward = record
        model.generate(**tester.generation_inputs(), min_new_tokens=5, max_new_tokens=5, do_sample=False)
        assert lengths == [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4)]

    def test_fill_slots_takes_the_selectors_items_without_repeats(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        context = tester.generation_inputs()
        start, eos, pad = model.config.decoder_start_token_id, model.config.eos_token_id, model.config.pad_token_id
        # templates as generate() returns them: row 0 has two slots (a third after its end token does not count),
        # row 1 one, row 2 none
        generated = torch.tensor([[start, 9, ITEM, 11, ITEM, eos, ITEM, pad],
                                  [start, ITEM, 12, 13, eos, pad, pad, pad],
                                  [start, 14, 15, 16, 17, 18, 19, eos]])
        context = {key: value[:3] for key, value in context.items()}
        chosen = model.fill_slots(**context, generated_ids=generated)
        assert chosen.shape == (3, 2) and chosen[1, 1] == -1 and (chosen[2] == -1).all()

        # the selector's scores at those slots, by teacher forcing the templates as labels
        labels = generated[:, 1:].clone()
        labels[labels == pad] = -100
        labels[0, 5] = -100  # the placeholder after row 0's end token
        slots = (labels == ITEM).sum(1)
        items = torch.full((3, 2), -1)
        items[torch.arange(2)[None, :] < slots[:, None]] = 0
        with torch.no_grad():
            scores = model(**context, labels=labels, response_item_positions=items).slot_logits
        best = scores.argmax(dim=-1)
        assert best[0] != best[1], "the random selector repeats: pick another seed"
        assert chosen[0].tolist() == best[:2].tolist() and chosen[1, 0] == best[2]

        # a selector that always names item 6: the second slot of a response takes the recommender's best other item
        with torch.no_grad():
            model.selector.item_output.bias[6] = 1e4
            chosen = model.fill_slots(**context, generated_ids=generated)
            graph = model.model(context["context_entities"], context["context_words"])
            ranking = model.item_scorer(graph.user_embedding, graph.entity_embeddings)[0]
        ranking[6] = float("-inf")
        assert chosen[0].tolist() == [6, int(ranking.argmax())] and chosen[1, 0] == 6

    def test_fill_slots_on_generated_templates(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        with torch.no_grad():
            model.embed_tokens.weight[ITEM] *= 20  # make the random decoder write placeholders
        inputs = tester.generation_inputs()
        generated = model.generate(**inputs, max_new_tokens=6, num_beams=2, do_sample=False)
        chosen = model.fill_slots(**inputs, generated_ids=generated)
        before_end = (generated[:, 1:] == model.config.eos_token_id).long().cumsum(1) == 0
        counts = ((generated[:, 1:] == ITEM) & before_end).sum(1)
        assert counts.sum() > 0
        assert chosen.shape == (tester.batch_size, int(counts.max()))
        assert ((chosen >= 0).sum(1) == counts).all() and (chosen < model.config.n_items).all()
        for row in chosen.tolist():  # no item twice in a response
            placed = [item for item in row if item >= 0]
            assert len(placed) == len(set(placed))

    def test_stages_chain_through_from_pretrained(self, tmp_path):
        tester = self.model_tester
        pretraining = tester.create_model(NTRDForPretraining)
        pretraining.save_pretrained(tmp_path / "pretrain")
        recommender = NTRDForRecommendation.from_pretrained(tmp_path / "pretrain")
        with torch.no_grad():
            recommender.item_scorer.bias.normal_()
        recommender.save_pretrained(tmp_path / "rec")
        conversation = NTRDForConversation.from_pretrained(tmp_path / "rec")
        for name, tensor in recommender.model.state_dict().items():
            assert torch.equal(conversation.model.state_dict()[name], tensor), name
        assert torch.equal(conversation.item_scorer.bias, recommender.item_scorer.bias)  # fill_slots' ranking
        assert conversation.config.n_word_edges == 90 and conversation.config.n_entity_edges == 120

    def test_an_empty_word_graph_is_refused(self):
        tester = self.model_tester
        model = NTRDForRecommendation(tester.get_config())  # no set_word_graph
        with pytest.raises(ValueError, match="use_word_graph=True, but the word graph is empty"):
            model(**tester.inputs(NTRDForRecommendation))
        with pytest.raises(ValueError, match="needs context_words"):
            tester.create_model(NTRDForRecommendation)(context_entities=torch.tensor([[1, 2]]))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"item_token_id": 99}, r"item_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"item_token_id": 2}, r"item_token_id \(2\) must differ from pad_token_id \(0\) and eos_token_id \(2\)"),
            ({"gen_loss_weight": -1.0}, "gen_loss_weight=-1.0"),
            ({"token_emb_dim": 30, "n_heads": 4}, r"token_emb_dim \(30\) must be a multiple of n_heads \(4\)"),
            ({"item_ids": [7, 7]}, "item_ids must be distinct"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)


class TestNTRDWithoutWordGraph(ModelTesterMixin):
    model_tester = NTRDModelTester(use_word_graph=False)

    def test_no_word_graph_anywhere(self):
        tester = self.model_tester
        for model_class in tester.all_model_classes:
            names = tester.create_model(model_class).state_dict()
            assert not [name for name in names if "word" in name or "infomax" in name or "gate" in name], model_class
        model = tester.create_model(NTRDForConversation)
        assert model.conv_decoder.n_memories == 2
        with pytest.raises(ValueError, match="use_word_graph=False: it has no word graph"):
            model.set_word_graph(torch.tensor([[1], [2]]))
        with pytest.raises(ValueError, match="use_word_graph=False: skip the pretrain stage"):
            NTRDForPretraining(tester.get_config())

    def test_the_user_is_the_entity_vector_and_words_are_ignored(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForRecommendation)
        inputs = tester.inputs(NTRDForRecommendation)
        with torch.no_grad():
            out = model(**inputs)
            no_words = model(inputs["context_entities"], rec_labels=inputs["rec_labels"])
            base = model.model(inputs["context_entities"])
        assert torch.equal(out.rec_logits, no_words.rec_logits) and out.infomax_loss is None
        assert torch.equal(base.user_embedding, base.entity_user_embedding)
        torch.testing.assert_close(out.loss, out.rec_loss)

    def test_the_selector_attends_to_the_context_entities(self):
        tester = self.model_tester
        model = tester.create_model(NTRDForConversation)
        inputs = tester.inputs(NTRDForConversation)
        with torch.no_grad():
            out = model(**inputs)
            encoded = model.encode(inputs["input_ids"], None, inputs["context_entities"])
            decoded = model.conv_decoder(model.embed_tokens(torch.cat(
                [torch.ones_like(inputs["labels"][:, :1]), inputs["labels"][:, :-1].clamp(min=0)], 1)),
                model._memories(encoded))
            slot_mask = inputs["labels"] == ITEM
            # the knowledge memory the selector reads is the entities: swapping them changes the slot scores
            expected = model.selector(decoded, (encoded.entity_states, encoded.entity_mask),
                                      (encoded.last_hidden_state, encoded.attention_mask), slot_mask)
        torch.testing.assert_close(out.slot_logits, expected)
