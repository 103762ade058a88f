"""The GPT-2 conversation model (`crs_gpt2`): a causal LM reading context then response. Shapes; logits aligned with
`labels` and independent of how the batch is padded; `generate()` returning only the new tokens, the backbone's own
greedy continuation, identical with and without its KV cache; the documented limits (empty context, a context longer
than the backbone's positions, a response that cannot fit); `set_backbone` with a GPT-2-style tokenizer (no pad
token) and a BERT-vocabulary Chinese GPT-2 (no eos token, config eos outside the vocabulary), both trained here
from scratch; save/load without the backbone's files.

`tiny_gpt2_backbone` / `tiny_chinese_gpt2_backbone` build those backbones (a tokenizer trained on the fly with
`tokenizers`, a 2-layer GPT-2) for the other causal-LM tests."""

import shutil
from pathlib import Path

import pytest
import torch
from models_common import ModelTesterMixin
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModel,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    BertTokenizer,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
)

from crs_hf.data.source import CRSDataSource
from crs_hf.models.gpt2 import CRS_MODEL, CRSGPT2Config, CRSGPT2ForConversation, CRSGPT2Model

ENGLISH_SAMPLES = ("redial", "gorecdial", "opendialkg", "inspired")
CHINESE_SAMPLES = ("tgredial", "durecdial")
END = "<|endoftext|>"


def sample_texts(names) -> list[str]:
    """Every context utterance and response of the samples `names`."""
    texts = []
    for name in names:
        for split in CRSDataSource.sample(name).load("turns").values():
            for context, response in zip(split["context"], split["response"]):
                texts += [*context, response]
    return texts


def tiny_gpt2_backbone(folder: Path, texts: list[str], n_positions: int = 256, vocab_size: int = 500) -> Path:
    """A GPT-2-style backbone saved in `folder`: a byte-level BPE tokenizer trained on `texts` whose only special
    token is `<|endoftext|>` (bos = eos, no pad token, as GPT-2's), and a random 2-layer GPT-2 over it."""
    model = Tokenizer(models.BPE())
    model.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = decoders.ByteLevel()
    model.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[END], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=model, bos_token=END, eos_token=END, unk_token=END)
    end = tokenizer.convert_tokens_to_ids(END)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=n_positions,
                        bos_token_id=end, eos_token_id=end)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_chinese_gpt2_backbone(folder: Path, texts: list[str], n_positions: int = 256) -> Path:
    """A backbone shaped like `uer/gpt2-chinese-cluecorpussmall`: a `BertTokenizer` over the characters of `texts`
    ([PAD] [UNK] [CLS] [SEP] [MASK], no eos) and a GPT-2 whose config keeps GPT-2's default bos/eos id 50256,
    outside its vocabulary."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = sorted({c for text in texts for c in text if not c.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars if c.isascii())]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=n_positions)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def english_backbone(tmp_path_factory) -> Path:
    return tiny_gpt2_backbone(tmp_path_factory.mktemp("gpt2"), sample_texts(["redial"]), n_positions=48)


@pytest.fixture(scope="module")
def chinese_backbone(tmp_path_factory) -> Path:
    return tiny_chinese_gpt2_backbone(tmp_path_factory.mktemp("gpt2_zh"), sample_texts(["tgredial"]))


def greedy_continuation(lm, context: list[int], steps: int, end: int) -> list[int]:
    """The backbone's greedy continuation of one unpadded context, by re-running it on the whole prefix (no cache,
    no padding): the reference `generate()` must reproduce."""
    ids, out = list(context), []
    with torch.no_grad():
        for _ in range(steps):
            token = int(lm(torch.tensor([ids])).logits[0, -1].argmax())
            out.append(token)
            if token == end:
                break
            ids.append(token)
    return out


class CRSGPT2ModelTester:
    all_model_classes = (CRSGPT2Model, CRSGPT2ForConversation)
    base_model_class = CRSGPT2Model
    conversation_class = CRSGPT2ForConversation

    def __init__(self, batch_size=5, context_length=9, response_length=6):
        self.batch_size, self.context_length, self.response_length = batch_size, context_length, response_length

    def get_config(self, **overrides) -> CRSGPT2Config:
        return CRSGPT2Config(**overrides)  # the default LM: a tiny GPT-2 (vocab 99, 2 layers, 32 dims, 64 positions)

    def create_model(self, model_class=CRSGPT2ForConversation, **overrides):
        torch.manual_seed(0)
        return model_class(self.get_config(**overrides)).eval()

    def context(self) -> dict:
        """Random contexts of random lengths, right-padded (as the data layer pads) with the end token 98."""
        generator = torch.Generator().manual_seed(3)
        ids = torch.randint(0, 98, (self.batch_size, self.context_length), generator=generator)
        lengths = torch.tensor([9, 1, 4, 7, 2])[: self.batch_size]
        mask = (torch.arange(self.context_length) < lengths[:, None]).long()
        return {"input_ids": ids.masked_fill(mask == 0, 98), "attention_mask": mask}

    def labels(self) -> torch.LongTensor:
        generator = torch.Generator().manual_seed(4)
        labels = torch.randint(0, 98, (self.batch_size, self.response_length), generator=generator)
        lengths = torch.tensor([6, 3, 1, 5, 2])[: self.batch_size]
        labels[torch.arange(self.batch_size), lengths - 1] = 98  # each response ends with the end token
        return labels.masked_fill(torch.arange(self.response_length) >= lengths[:, None], -100)

    def inputs(self, model_class=CRSGPT2ForConversation) -> dict:
        if model_class is CRSGPT2Model:
            return self.context()
        return {**self.context(), "labels": self.labels()}

    def generation_inputs(self) -> dict:
        return self.context()


def unpadded(ids: torch.Tensor, mask: torch.Tensor, row: int) -> list[int]:
    return ids[row][mask[row].bool()].tolist()


class TestCRSGPT2(ModelTesterMixin):
    model_tester = CRSGPT2ModelTester()

    def test_contract(self):
        head = CRS_MODEL.head("conv")
        assert head.model_class is CRSGPT2ForConversation and CRS_MODEL.tasks == ("conv",)
        assert head.inputs == ("context_subwords", "response_subwords") and head.side_data == ("backbone",)

    def test_output_shapes(self):
        tester = self.model_tester
        model = tester.create_model()
        output = model(**tester.inputs())
        assert output.logits.shape == (tester.batch_size, tester.response_length, 99)
        assert output.loss.ndim == 0 and torch.isfinite(output.loss)
        assert model(**tester.context()).logits.shape == (tester.batch_size, 1, 99)  # no labels: the first token's
        base = tester.create_model(CRSGPT2Model)(**tester.context())
        assert base.last_hidden_state.shape == (tester.batch_size, tester.context_length, 32)

    def test_logits_do_not_depend_on_the_padding(self):
        """Right-padded (the data layer's), left-padded, with extra padding columns, or one row at a time: the same
        scores, since padding is masked and positions count only real tokens."""
        tester = self.model_tester
        model = tester.create_model()
        context, labels = tester.context(), tester.labels()
        with torch.no_grad():
            expected = model(**context, labels=labels).logits
            mask = context["attention_mask"]
            order = torch.sort(mask, dim=1, stable=True).indices  # the same tokens, padding first
            left = model(input_ids=context["input_ids"].gather(1, order), attention_mask=mask.gather(1, order),
                         labels=labels).logits
            wide = model(input_ids=torch.cat([context["input_ids"], torch.full((5, 4), 7)], 1),
                         attention_mask=torch.cat([mask, torch.zeros(5, 4, dtype=torch.long)], 1), labels=labels).logits
            rows = [model(input_ids=torch.tensor([unpadded(context["input_ids"], mask, i)]),
                          labels=labels[i : i + 1, : int((labels[i] != -100).sum())]).logits[0] for i in range(5)]
        torch.testing.assert_close(left, expected)
        torch.testing.assert_close(wide, expected)
        for i, row in enumerate(rows):
            torch.testing.assert_close(row, expected[i, : len(row)])

    def test_generate_greedy_and_beam_with_cache_equal_without(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.generation_inputs()
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False}):
            lengths = {"min_new_tokens": 6, "max_new_tokens": 6}  # six cached steps, whatever the random model says
            with_cache = model.generate(**inputs, **options, **lengths, use_cache=True)
            without = model.generate(**inputs, **options, **lengths, use_cache=False)
            assert with_cache.shape == (tester.batch_size, 6)  # only the new tokens
            assert torch.equal(with_cache, without), options
        torch.manual_seed(0)
        sampled = model.generate(**inputs, do_sample=True, top_k=5, min_new_tokens=6, max_new_tokens=6)
        assert sampled.shape == (tester.batch_size, 6)
        assert not torch.equal(sampled, with_cache)  # top-5 sampling is not beam search

    def test_greedy_generation_is_the_backbone_continuation_of_each_unpadded_context(self):
        tester = self.model_tester
        model = tester.create_model()
        context = tester.context()
        generated = model.generate(**context, max_new_tokens=8)
        for row in range(tester.batch_size):
            prompt = unpadded(context["input_ids"], context["attention_mask"], row)
            expected = greedy_continuation(model.model.lm, prompt, 8, end=98)
            got = generated[row].tolist()
            assert got[: len(expected)] == expected, row
            assert all(token == 98 for token in got[len(expected):])  # stopped rows padded (pad = the end token)

    def test_max_length_counts_response_tokens(self):
        model = self.model_tester.create_model()
        generated = model.generate(**self.model_tester.context(), max_length=4, min_length=4)
        assert generated.shape == (self.model_tester.batch_size, 4)

    def test_an_empty_context_is_the_start_token(self):
        """All padding: the prompt is the start token (`bos_token_id`) alone."""
        model = self.model_tester.create_model(bos_token_id=5)
        labels = torch.tensor([[11, 12, 98]])
        empty = {"input_ids": torch.full((1, 4), 98), "attention_mask": torch.zeros(1, 4, dtype=torch.long)}
        with torch.no_grad():
            got = model(**empty, labels=labels).logits
            expected = model.model.lm(torch.tensor([[5, 11, 12]])).logits
            no_columns = model(input_ids=torch.zeros(1, 0, dtype=torch.long), labels=labels).logits
        torch.testing.assert_close(got, expected)
        torch.testing.assert_close(no_columns, expected)
        assert model.generate(**empty, max_new_tokens=3).tolist()[0] == greedy_continuation(model.model.lm, [5], 3, 98)

    def test_a_context_longer_than_the_positions_keeps_its_tail(self):
        """64 positions: a 100-token context keeps its last 64 - (response tokens fed) tokens in training and its
        last 64 - max_new_tokens in generation; never an index error."""
        model = self.model_tester.create_model()
        context = torch.randint(0, 98, (1, 100), generator=torch.Generator().manual_seed(5))
        labels = torch.tensor([[3, 4, 5, 98]])
        with torch.no_grad():
            got = model(input_ids=context, labels=labels).logits
            tail = model(input_ids=context[:, -61:], labels=labels).logits  # 64 - 3 fed response tokens
        torch.testing.assert_close(got, tail)
        generated = model.generate(input_ids=context, max_new_tokens=10, min_new_tokens=10)
        assert torch.equal(generated, model.generate(input_ids=context[:, -54:], max_new_tokens=10, min_new_tokens=10))

    def test_a_response_that_cannot_fit_is_a_clear_error(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match="a response of 65 tokens leaves no room for the context in the "
                                             "backbone's 64 positions; lower max_response_tokens"):
            model(input_ids=torch.tensor([[1, 2]]), labels=torch.ones(1, 65, dtype=torch.long))
        with pytest.raises(ValueError, match="max_new_tokens=64 leaves no room for the context"):
            model.generate(input_ids=torch.tensor([[1, 2]]), max_new_tokens=64)

    def test_bad_input_raises_a_clear_error(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match=r"input_ids must be \(batch, length\) token ids, but got \(3,\)"):
            model(torch.tensor([1, 2, 3]), labels=torch.tensor([[1]]))
        with pytest.raises(ValueError, match=r"input_ids hold token ids in \[1, 99\], but vocab_size=99"):
            model.generate(torch.tensor([[1, 99]]))
        with pytest.raises(ValueError, match=r"labels hold token ids in \[5, 120\] \(besides -100\)"):
            model(torch.tensor([[1, 2]]), labels=torch.tensor([[5, 120, -100]]))
        with pytest.raises(ValueError, match=r"attention_mask must have the shape of input_ids \(1, 2\)"):
            model(torch.tensor([[1, 2]]), torch.ones(2, 2), labels=torch.tensor([[1]]))
        with pytest.raises(ValueError, match=r"labels must be \(batch=1, response_length\) token ids, but got \(2,\)"):
            model(torch.tensor([[1, 2]]), labels=torch.tensor([1, 2]))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"eos_token_id": 99}, r"eos_token_id \(99\) must be in \[0, decoder_config.vocab_size=99\)"),
            ({"eos_token_id": None}, "eos_token_id must be set: the token that ends a response"),
            ({"decoder_config": {"model_type": "t5", "d_model": 32}}, r"must be a causal LM .* decoder_config is t5"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)

    def test_set_backbone_loads_a_gpt2_with_a_tokenizer_without_pad_token(self, english_backbone):
        tokenizer = AutoTokenizer.from_pretrained(english_backbone)
        assert tokenizer.pad_token is None
        end = tokenizer.eos_token_id
        model = self.model_tester.create_model()
        model.set_backbone(english_backbone)
        model.eval()
        config = model.config
        assert config.backbone_name_or_path == str(english_backbone)
        assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (end, end, end)
        assert model.generation_config.eos_token_id == end
        reference = GPT2LMHeadModel.from_pretrained(english_backbone).eval()
        ids = tokenizer("hi , any good action movie ?" + END)["input_ids"]
        labels = tokenizer("try @111776" + END)["input_ids"]
        with torch.no_grad():
            got = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).logits
            expected = reference(torch.tensor([ids + labels[:-1]])).logits[:, len(ids) - 1 :]
        torch.testing.assert_close(got, expected)

    def test_set_backbone_reads_the_end_token_of_a_bert_vocabulary_gpt2(self, chinese_backbone):
        tokenizer = AutoTokenizer.from_pretrained(chinese_backbone)
        assert tokenizer.eos_token_id is None and GPT2Config.from_pretrained(chinese_backbone).eos_token_id == 50256
        model = self.model_tester.create_model()
        model.set_backbone(chinese_backbone)
        model.eval()
        config = model.config
        assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (
            tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
        context = tokenizer(["你好 ， 想 找 部 电影 看看", "喜欢"], padding=True, return_tensors="pt")
        generated = model.generate(context["input_ids"], context["attention_mask"], max_new_tokens=5)
        assert generated.shape[0] == 2 and int(generated.max()) < len(tokenizer)  # stops at [SEP], never at 50256

    def test_saved_model_loads_without_the_backbone_files(self, english_backbone, tmp_path):
        backbone = tmp_path / "backbone"
        shutil.copytree(english_backbone, backbone)
        model = self.model_tester.create_model()
        model.set_backbone(backbone)
        model.eval()
        model.save_pretrained(tmp_path / "conversation")
        shutil.rmtree(backbone)
        loaded = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "conversation").eval()
        assert type(loaded) is CRSGPT2ForConversation and loaded.config.eos_token_id == model.config.eos_token_id
        assert type(AutoModel.from_pretrained(tmp_path / "conversation")) is CRSGPT2Model
        ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
        labels = torch.tensor([[11, 12, 0], [13, 0, -100]])
        with torch.no_grad():
            assert torch.equal(loaded(ids, mask, labels).logits, model(ids, mask, labels).logits)
        assert torch.equal(loaded.generate(ids, mask, max_new_tokens=5), model.generate(ids, mask, max_new_tokens=5))
