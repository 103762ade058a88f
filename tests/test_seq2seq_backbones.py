"""The mT5 and XNLG-style (XLM-R encoder-decoder) paths of the DuRecDial 2.0 example, with tiny local checkpoints:
language codes are added to tokenizers that lack them, training runs, and the checkpoint reloads."""

import json

import pytest
import torch
from test_seq2seq import SAMPLE_RECIPE, train_durecdial2
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    MT5Config,
    MT5ForConditionalGeneration,
    T5Tokenizer,
    XLMRobertaConfig,
    XLMRobertaModel,
    XLMRobertaTokenizer,
)

import crs_hf
from crs_hf.data.seq2seq import LanguageCodes, encode_example, format_source
from crs_hf.tokenization import train_unigram_vocab


@pytest.fixture(scope="module")
def texts():
    data = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=crs_hf.data.sample_data_dir("durecdial2"))["train"]
    return [format_source(r) for r in data] + list(data["response"])


def tiny_mt5(folder, texts):
    tokenizer = T5Tokenizer(vocab=train_unigram_vocab(texts, 1200, ["<pad>", "</s>", "<unk>"]), extra_ids=0)
    config = MT5Config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
                       num_heads=4, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                       decoder_start_token_id=tokenizer.pad_token_id)
    MT5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return []


def tiny_xlmr(folder, texts):
    tokenizer = XLMRobertaTokenizer(vocab=train_unigram_vocab(texts, 1200, ["<s>", "<pad>", "</s>", "<unk>"]))
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=64, max_position_embeddings=300, pad_token_id=tokenizer.pad_token_id,
                              bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    XLMRobertaModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return ["--architecture", "encoder-decoder"]


@pytest.mark.parametrize("make", [tiny_mt5, tiny_xlmr], ids=["mt5", "xnlg-xlmr"])
def test_backbone_without_language_codes(tmp_path, texts, make):
    base = tmp_path / "base"
    extra = make(base, texts)
    base_vocab = len(AutoTokenizer.from_pretrained(base))
    out = tmp_path / "out"
    parser = train_durecdial2.make_parser()
    args = parser.parse_args_and_config([
        "--config", SAMPLE_RECIPE, "--dataset_config", "en-zh", "--output_dir", str(out), "--num_train_epochs", "4",
        "--model_name_or_path", str(base), "--config_name", "", "--train_tokenizer_vocab_size", "0",
        "--max_eval_samples", "8", "--generation_max_length", "10", "--disable_tqdm", "true", "--max_source_length",
        "200", *extra,
    ])
    metrics = train_durecdial2.main(*args, recipe=parser.recipe_path)
    losses = [e["loss"] for e in json.loads((out / "trainer_state.json").read_text())["log_history"] if "loss" in e]
    assert losses[-1] < losses[0], losses
    assert "test_f1" in metrics

    tokenizer = AutoTokenizer.from_pretrained(out)
    assert len(tokenizer) == base_vocab + 2  # en_XX and zh_CN were added
    model = AutoModelForSeq2SeqLM.from_pretrained(out).eval()
    codes = LanguageCodes.for_model(tokenizer, model.config.decoder_start_token_id)
    record = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=crs_hf.data.sample_data_dir("durecdial2"))["test"][0]
    example = encode_example(record, tokenizer, codes, 200, 32)
    generated = model.generate(torch.tensor([example["input_ids"]]),
                               decoder_input_ids=torch.tensor([codes.decoder_prefix("zh")]), max_new_tokens=5)
    assert tokenizer.convert_ids_to_tokens(generated[0, 1].item()) == "zh_CN"
