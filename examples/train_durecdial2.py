"""Fine-tune a multilingual seq2seq model on a DuRecDial 2.0 task, evaluate it with the paper's metrics.

    # tiny MBart + a tokenizer trained on the fly, on the embedded sample (minutes on CPU):
    accelerate launch examples/train_durecdial2.py --config examples/recipes/mbart_durecdial2_sample.yaml \\
        --dataset_config en-zh
    # the paper's backbone on the full data (GPU):
    accelerate launch --config_file examples/accelerate_configs/single_gpu.yaml examples/train_durecdial2.py \\
        --config examples/recipes/mbart_durecdial2.yaml --dataset_config en-zh --data_dir ./DuRecDial2/data
    # two CPU processes (gloo), e.g. to check distributed evaluation:
    accelerate launch --config_file examples/accelerate_configs/cpu_2proc.yaml examples/train_durecdial2.py \\
        --config examples/recipes/mbart_durecdial2_sample.yaml --dataset_config zh

Writes to `output_dir`: the model and tokenizer (`AutoModelForSeq2SeqLM` / `AutoTokenizer` load them),
`test_results.json`, `predictions.jsonl` (one line per test turn) and a model card `README.md` whose results
table has the layout of the paper's Table 4.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

import datasets
from accelerate.logging import get_logger
from huggingface_hub import ModelCardData
from transformers import (
    AutoConfig,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    EncoderDecoderModel,
    EvalPrediction,
    set_seed,
)

import crs_hf
from crs_hf.citations import DURECDIAL2
from crs_hf.data.seq2seq import LanguageCodes, Seq2SeqCollator, encode_example, format_source
from crs_hf.data.splits import split_by_dialog
from crs_hf.dataset_scripts.durecdial2.durecdial2 import TASK_DIRECTIONS
from crs_hf.metrics.durecdial_eval import PAPER_TABLE4_MBART, TABLE4_HEADER, table4_row
from crs_hf.model_card import render_model_card
from crs_hf.recipes import RecipeParser, parse_config_overrides
from crs_hf.tokenization import train_mbart_tokenizer
from crs_hf.training.devices import close_process_group
from crs_hf.training.seq2seq import (
    CRSSeq2SeqConfig,
    CRSSeq2SeqTrainer,
    add_language_codes,
    make_durecdial_compute_metrics,
    write_predictions,
)

logger = get_logger(__name__)


@dataclass
class ScriptArguments:
    """Which data to train and evaluate on."""

    dataset_config: str = field(default="en", metadata={"help": "DuRecDial 2.0 task config.",
                                                       "choices": list(TASK_DIRECTIONS)})
    data_dir: str | None = field(default=None, metadata={"help": "Folder of the raw {en,zh}_{train,dev,test}.txt "
                                                                  "(default: download the official release)."})
    use_sample: bool = field(default=False, metadata={"help": "Use the synthetic sample shipped with crs_hf."})
    split_dialogs: bool = field(default=False, metadata={
        "help": "Split the dialogs of the first available split 80/10/10 into train/validation/test by a hash of "
                "dialog_id (deterministic), e.g. when only the dev files are at hand."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Keep the first N training turns."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Keep the first N validation/test turns."})


@dataclass
class ModelArguments:
    """Which model to fine-tune: a Hub id / path, or a from-scratch config for tiny models."""

    model_name_or_path: str | None = field(default=None, metadata={
        "help": "Hub id or folder, e.g. facebook/mbart-large-cc25, google/mt5-base, xlm-roberta-base."})
    architecture: str = field(default="auto", metadata={
        "help": "'auto': AutoModelForSeq2SeqLM; 'encoder-decoder': an XNLG-style EncoderDecoderModel built from "
                "the encoder checkpoint (encoder and decoder both initialised from it).",
        "choices": ["auto", "encoder-decoder"]})
    config_name: str | None = field(default=None, metadata={
        "help": "Model type of a model trained from scratch (e.g. 'mbart'), when model_name_or_path is not given."})
    config_overrides: str | None = field(default=None, metadata={
        "help": "Comma-separated config overrides for a from-scratch model, e.g. 'd_model=64,encoder_layers=2'."})
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer id/path (default: the model's)."})
    train_tokenizer_vocab_size: int | None = field(default=None, metadata={
        "help": "Train an mBART-style Unigram tokenizer of this size on the training data instead of loading one."})


def make_parser() -> RecipeParser:
    return RecipeParser((ScriptArguments, ModelArguments, CRSSeq2SeqConfig))


def load_task_data(args: ScriptArguments) -> datasets.DatasetDict:
    data_dir = crs_hf.data.sample_data_dir("durecdial2") if args.use_sample else args.data_dir
    data = crs_hf.load_dataset("durecdial2", args.dataset_config, data_dir=data_dir)
    if args.split_dialogs:
        data = split_by_dialog(next(iter(data.values())))
    missing = [split for split in ("train", "validation", "test") if split not in data]
    if missing:
        raise crs_hf.CRSHFError(f"DuRecDial 2.0 data at {data_dir} has no {', '.join(missing)} split; pass "
                                "--split_dialogs to split the dialogs that are there")
    for split, limit in (("train", args.max_train_samples), ("validation", args.max_eval_samples),
                         ("test", args.max_eval_samples)):
        if limit is not None:
            data[split] = data[split].select(range(min(limit, len(data[split]))))
    return data


def load_model_and_tokenizer(model_args: ModelArguments, train: datasets.Dataset):
    if model_args.train_tokenizer_vocab_size:
        texts = [format_source(record) for record in train] + list(train["response"])
        tokenizer = train_mbart_tokenizer(texts, model_args.train_tokenizer_vocab_size)
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name or model_args.model_name_or_path)

    if model_args.architecture == "encoder-decoder":
        model = EncoderDecoderModel.from_encoder_decoder_pretrained(model_args.model_name_or_path,
                                                                    model_args.model_name_or_path)
        model.config.decoder_start_token_id = tokenizer.bos_token_id or tokenizer.cls_token_id
        model.config.pad_token_id = tokenizer.pad_token_id
        model.config.eos_token_id = tokenizer.eos_token_id or tokenizer.sep_token_id
    elif model_args.model_name_or_path:
        model = AutoModelForSeq2SeqLM.from_pretrained(model_args.model_name_or_path)
    else:
        if not model_args.config_name:
            raise ValueError("give model_name_or_path, or config_name (+ config_overrides) for a from-scratch model")
        config = AutoConfig.for_model(
            model_args.config_name,
            vocab_size=len(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.eos_token_id,
            **parse_config_overrides(model_args.config_overrides),
        )
        model = AutoModelForSeq2SeqLM.from_config(config)
    add_language_codes(tokenizer, model)
    return model, tokenizer


def write_model_card(script_args, model_args, training_args, data, results_by_lang, recipe) -> None:
    task = script_args.dataset_config
    rows = [TABLE4_HEADER]
    for lang, result in results_by_lang.items():
        rows.append(table4_row(task, lang, f"crs_hf ({model_args.model_name_or_path or 'tiny ' + str(model_args.config_name)})", result))
        if (task, lang) in PAPER_TABLE4_MBART:
            rows.append(table4_row(task, lang, "mBART (paper)", PAPER_TABLE4_MBART[(task, lang)]))
    source, target = TASK_DIRECTIONS[task][0]
    card = render_model_card(
        "durecdial2_seq2seq",
        ModelCardData(
            language=["en", "zh"], license="cc-by-nc-sa-4.0", library_name="transformers",
            base_model=model_args.model_name_or_path, datasets=["crs_hf/durecdial2"],
            tags=["crs_hf", "conversational-recommendation", "durecdial2", f"task-{task}"],
        ),
        model_name=os.path.basename(os.path.abspath(training_args.output_dir)),
        repo_id=training_args.hub_model_id or training_args.output_dir,
        task=task,
        task_description="multilingual: English and Chinese mixed" if task == "multi"
        else f"{source.upper()} context -> {target.upper()} goal, knowledge and response",
        base_model=model_args.model_name_or_path or f"a {model_args.config_name} model trained from scratch",
        data_note="the embedded synthetic sample" if script_args.use_sample else (
            "dialogs split 80/10/10 by a hash of dialog_id" if script_args.split_dialogs else None),
        n_train=len(data["train"]), n_eval=len(data["validation"]), n_test=len(data["test"]),
        recipe=recipe or "(command-line arguments; see training_args.bin)",
        hyperparameters={k: getattr(training_args, k) for k in (
            "learning_rate", "num_train_epochs", "per_device_train_batch_size", "seed", "max_source_length",
            "max_target_length", "generation_max_length", "generation_num_beams")},
        results_table="\n".join(rows),
        citation=DURECDIAL2.strip(),
    )
    card.save(os.path.join(training_args.output_dir, "README.md"))


def main(
    script_args: ScriptArguments, model_args: ModelArguments, training_args: CRSSeq2SeqConfig, recipe: str | None = None
) -> dict:
    """Trains, evaluates on the test split and writes the outputs; returns the test metrics."""
    set_seed(training_args.seed)
    data = load_task_data(script_args)
    model, tokenizer = load_model_and_tokenizer(model_args, data["train"])
    codes = LanguageCodes.for_model(tokenizer, model.config.decoder_start_token_id)

    def encode(record):
        return encode_example(record, tokenizer, codes, training_args.max_source_length,
                              training_args.max_target_length)

    with training_args.main_process_first(desc="tokenising"):
        encoded = {split: data[split].map(encode, remove_columns=data[split].column_names) for split in data}

    store: dict = {}
    trainer = CRSSeq2SeqTrainer(
        model=model,
        args=training_args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        data_collator=Seq2SeqCollator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        compute_metrics=make_durecdial_compute_metrics(tokenizer, data["validation"], store),
        language_codes=codes,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model()
    trainer.save_state()  # trainer_state.json with the loss history

    test_records = data["test"]
    trainer.compute_metrics = make_durecdial_compute_metrics(tokenizer, test_records, store)
    output = trainer.predict(encoded["test"], metric_key_prefix="test")
    metrics = dict(output.metrics)
    results_by_lang = {}
    for lang in sorted(set(test_records["target_lang"])):  # the `multi` task is reported per language, as Table 4
        indices = [i for i, t in enumerate(test_records["target_lang"]) if t == lang]
        subset = make_durecdial_compute_metrics(tokenizer, test_records.select(indices))
        results_by_lang[lang] = subset(EvalPrediction(output.predictions[indices], output.label_ids[indices]))
        if script_args.dataset_config == "multi":
            metrics.update({f"test_{lang}_{k}": v for k, v in results_by_lang[lang].items()})
    trainer.save_metrics("test", metrics)
    if trainer.is_world_process_zero():
        with open(os.path.join(training_args.output_dir, "run_args.json"), "w", encoding="utf-8") as handle:
            json.dump({"script": asdict(script_args), "model": asdict(model_args), "recipe": recipe}, handle, indent=2)
        write_predictions(os.path.join(training_args.output_dir, "predictions.jsonl"), test_records,
                          store["predictions"])
        write_model_card(script_args, model_args, training_args, data, results_by_lang, recipe)
        n = trainer.accelerator.num_processes
        trainer.accelerator.print(f"Test results of DuRecDial 2.0 {script_args.dataset_config} ({n} process{'es' * (n > 1)}):")
        trainer.accelerator.print(TABLE4_HEADER)
        for lang, result in results_by_lang.items():
            trainer.accelerator.print(table4_row(script_args.dataset_config, lang, "crs_hf", result))
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message=f"DuRecDial 2.0 {script_args.dataset_config}")
    return metrics


if __name__ == "__main__":
    parser = make_parser()
    try:
        main(*parser.parse_args_and_config(), recipe=parser.recipe_path)
    finally:
        close_process_group()
