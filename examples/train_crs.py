"""Train and evaluate one stage of a CRS model on a CRSLab dataset: the recommender (KBRD, KGSF, ReDial's AutoRec)
or the conversation model (KBRD so far, optionally started from the recommender's checkpoint).

    # KBRD on the ReDial sample shipped with crs_hf (seconds on CPU):
    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_sample.yaml
    # two CPU processes (gloo):
    accelerate launch --config_file examples/accelerate_configs/cpu_2proc.yaml examples/train_crs.py \\
        --config examples/recipes/kbrd_sample.yaml
    # then KBRD's conversation model on top of the trained recommender (its KG encoder and graph):
    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_conv_sample.yaml \\
        --model_name_or_path outputs/kbrd_sample

Writes to `output_dir`: the model (`from_pretrained` loads it, the entity graph included; the conv stage also saves
its tokenizer, so `AutoTokenizer.from_pretrained` works), `test_results.json` and `predictions.jsonl` (per test
example: the top-10 items and the gold item, or the generated response and the reference).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from huggingface_hub import ModelCardData
from transformers import CONFIG_MAPPING, AutoConfig, set_seed

import crs_hf
from crs_hf.citations import CRSLAB, KBRD, KGSF, REDIAL
from crs_hf.data import load_graph
from crs_hf.data.crs_inputs import (
    ConversationCollator,
    CRSVocabulary,
    RecommendationCollator,
    conversation_examples,
    recommendation_examples,
)
from crs_hf.data.splits import split_by_dialog
from crs_hf.model_card import render_model_card
from crs_hf.models import KBRDForConversation, KBRDForRecommendation, KGSFForRecommendation, ReDialForRecommendation
from crs_hf.recipes import RecipeParser, parse_config_overrides
from crs_hf.tokenization import word_level_tokenizer
from crs_hf.training.crs import CRSTrainer, CRSTrainingConfig

RECOMMENDERS = {
    "crs_kbrd": KBRDForRecommendation,
    "crs_kgsf": KGSFForRecommendation,
    "crs_redial": ReDialForRecommendation,
}
CONVERSATION_MODELS = {"crs_kbrd": KBRDForConversation}  # KGSF (copy mask, word2vec) and ReDial (HRED inputs): next


@dataclass
class ScriptArguments:
    """Which data to train and evaluate on."""

    dataset_name: str = field(default="redial", metadata={"help": "A CRSLab dataset of `crs-hf data list`."})
    data_dir: str | None = field(default=None, metadata={"help": "CRSLab's processed release of the dataset."})
    use_sample: bool = field(default=False, metadata={"help": "Use the sample shipped with crs_hf."})
    split_dialogs: bool = field(default=False, metadata={
        "help": "Split the dialogs of the first split 80/10/10 by a hash of dialog_id (e.g. only a valid split)."})
    rec_roles: list[str] = field(default_factory=lambda: ["Recommender"], metadata={
        "help": "Roles whose turns are recommendation examples (CRSLab: Recommender for ReDial/KBRD/KGSF)."})


@dataclass
class ModelArguments:
    model_type: str = field(default="crs_kbrd", metadata={"help": "Model.", "choices": list(RECOMMENDERS)})
    model_name_or_path: str | None = field(default=None, metadata={"help": "Start from this checkpoint."})
    config_overrides: str | None = field(default=None, metadata={"help": "e.g. 'kg_emb_dim=64,num_bases=4'."})


def make_parser() -> RecipeParser:
    return RecipeParser((ScriptArguments, ModelArguments, CRSTrainingConfig))


def build_config(model_args: ModelArguments, name: str, data_dir, vocab: CRSVocabulary, graph):
    """The model's config with the sizes of this dataset release (those the model type has) and the overrides."""
    sizes = {"n_entity": graph.num_nodes, "n_relation": graph.num_relations, "n_word": vocab.n_word,
             "item_ids": vocab.item_entity_ids}
    fields = set(getattr(CONFIG_MAPPING[model_args.model_type], "__dataclass_fields__", {}))
    sizes = {key: value for key, value in sizes.items() if key in fields}
    return AutoConfig.for_model(model_args.model_type, **sizes, **parse_config_overrides(model_args.config_overrides))


def build_model(model_args: ModelArguments, training_args: CRSTrainingConfig, name: str, data_dir,
                vocab: CRSVocabulary, graph, tokenizer=None):
    """The stage's model: from `model_name_or_path` (e.g. the `rec` stage's checkpoint for `conv`) or new."""
    stage_models = RECOMMENDERS if training_args.stage == "rec" else CONVERSATION_MODELS
    if model_args.model_type not in stage_models:
        raise ValueError(f"stage {training_args.stage!r} supports model_type {', '.join(stage_models)}, "
                         f"but got {model_args.model_type!r}")
    text_sizes = {} if tokenizer is None else {
        "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id, "decoder_start_token_id": tokenizer.bos_token_id}
    model_class = stage_models[model_args.model_type]
    if model_args.model_name_or_path:  # the KG encoder (and graph buffers) come from the checkpoint
        return model_class.from_pretrained(model_args.model_name_or_path, **text_sizes)
    config = build_config(model_args, name, data_dir, vocab, graph)
    for key, value in text_sizes.items():
        setattr(config, key, value)
    model = model_class(config)
    if hasattr(model, "set_entity_graph"):
        model.set_entity_graph(graph.edge_index, graph.edge_type)
    if hasattr(model, "set_word_graph"):
        model.set_word_graph(load_graph(name, "word_kg", data_dir=data_dir).edge_index)
    return model


def write_predictions(path: str, stage: str, examples, output, vocab: CRSVocabulary, tokenizer) -> None:
    """One JSON line per test example: the top-10 items and the gold item (rec), or the generated response and the
    reference (conv)."""
    names = {entity: n for n, entity in vocab.entity_ids.items()}
    with open(path, "w", encoding="utf-8") as handle:
        for index, example in enumerate(examples):
            row = {"dialog_id": example["dialog_id"], "turn_id": example["turn_id"]}
            if stage == "rec":
                row["ranked_items"] = [names[vocab.item_entity_ids[p]] for p in output.predictions[index, 0, :10]]
                row["gold_item"] = names[vocab.item_entity_ids[example["rec_labels"]]]
            else:
                generated = [t for t in output.predictions[index].tolist() if t >= 0]
                row["prediction"] = tokenizer.decode(generated, skip_special_tokens=True).strip()
                row["reference"] = tokenizer.decode(example["labels"], skip_special_tokens=True).strip()
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


MODEL_INFO = {  # architecture name, modeling folder, citation
    "crs_kbrd": ("KBRD (Chen et al., EMNLP 2019)", "kbrd", KBRD),
    "crs_kgsf": ("KGSF (Zhou et al., KDD 2020)", "kgsf", KGSF),
    "crs_redial": ("ReDial (Li et al., NeurIPS 2018)", "redial", REDIAL),
}


def write_model_card(model, script_args, model_args, training_args, examples, metrics, recipe) -> None:
    architecture, folder, citation = MODEL_INFO[model_args.model_type]
    stage = training_args.stage
    protocol = ("Items ranked over the catalogue; one sample per gold item (CRSLab's protocol); `*_new`: gold items "
                "not mentioned earlier, with mentioned items masked." if stage == "rec" else
                "Responses generated with `generate()`; BLEU/Distinct/F1 in the standard definitions and, as "
                "`crslab_*`, in CRSLab's (see crs_hf.metrics.generation).")
    card = render_model_card(
        "crs_model",
        ModelCardData(language=["en"], license="apache-2.0", library_name="transformers",
                      datasets=[f"crs_hf/{script_args.dataset_name}"],
                      tags=["crs_hf", "conversational-recommendation", model_args.model_type, stage]),
        model_name=os.path.basename(os.path.abspath(training_args.output_dir)),
        repo_id=training_args.hub_model_id or training_args.output_dir,
        stage_name="recommender" if stage == "rec" else "conversation model",
        architecture=architecture, folder=folder, model_class=type(model).__name__, dataset=script_args.dataset_name,
        data_note="the sample shipped with crs_hf" if script_args.use_sample else (
            "dialogs split 80/10/10 by a hash of dialog_id" if script_args.split_dialogs else "the release's splits"),
        n_train=len(examples["train"]), n_eval=len(examples.get("validation", [])), n_test=len(examples["test"]),
        recipe=recipe or "(command-line arguments; see training_args.bin)",
        hyperparameters={k: getattr(training_args, k) for k in (
            "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "seed")},
        protocol=protocol,
        results={k.removeprefix("test_"): v for k, v in metrics.items()
                 if isinstance(v, float) and not k.endswith(("runtime", "per_second"))},
        citation="\n".join(c.strip() for c in (citation, CRSLAB)),
    )
    card.save(os.path.join(training_args.output_dir, "README.md"))


def main(script_args: ScriptArguments, model_args: ModelArguments, training_args: CRSTrainingConfig,
         recipe: str | None = None) -> dict:
    """Trains one stage, evaluates it on the test split, writes the outputs; returns the test metrics."""
    set_seed(training_args.seed)
    data_dir = crs_hf.data.sample_data_dir(script_args.dataset_name) if script_args.use_sample else script_args.data_dir
    name = script_args.dataset_name
    vocab = CRSVocabulary.from_dataset(name, data_dir)
    graph = load_graph(name, "entity_kg", data_dir=data_dir)
    turns = crs_hf.load_dataset(name, "turns", data_dir=data_dir)
    if script_args.split_dialogs:
        turns = split_by_dialog(next(iter(turns.values())))
    tokenizer = None
    if training_args.stage == "rec":
        examples = {split: recommendation_examples(turns[split], vocab, script_args.rec_roles) for split in turns}
        collator = RecommendationCollator(training_args.max_context_entities)
    else:
        token2id = crs_hf.load_dataset(name, "token2id", data_dir=data_dir)["train"]
        tokenizer = word_level_tokenizer(dict(zip(token2id["name"], token2id["id"])))
        examples = {split: conversation_examples(turns[split], vocab, tokenizer, script_args.rec_roles)
                    for split in turns}
        collator = ConversationCollator(tokenizer.pad_token_id)
    model = build_model(model_args, training_args, name, data_dir, vocab, graph, tokenizer)

    trainer = CRSTrainer(
        model=model,
        args=training_args,
        train_dataset=examples["train"],
        eval_dataset=examples.get("validation"),
        data_collator=collator,
        processing_class=tokenizer,
    )
    if training_args.num_train_epochs > 0 or training_args.max_steps > 0:  # 0 epochs: evaluate a checkpoint
        trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        trainer.save_state()
    output = trainer.predict(examples["test"], metric_key_prefix="test")
    trainer.save_metrics("test", output.metrics)
    if trainer.is_world_process_zero():
        write_predictions(os.path.join(training_args.output_dir, "predictions.jsonl"), training_args.stage,
                          examples["test"], output, vocab, tokenizer)
        with open(os.path.join(training_args.output_dir, "run_args.json"), "w", encoding="utf-8") as handle:
            json.dump({"script": vars(script_args), "model": vars(model_args), "recipe": recipe}, handle, indent=2)
        write_model_card(model, script_args, model_args, training_args, examples, output.metrics, recipe)
        if training_args.stage == "rec":
            keys = [f"{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in training_args.rec_ks]
        else:
            keys = ["bleu@1", "bleu@2", "dist@1", "dist@2", "f1", "crslab_bleu@1", "crslab_dist@2"]
        trainer.accelerator.print(" ".join(f"{key}={output.metrics[f'test_{key}']:.4f}" for key in keys))
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message=f"{model_args.model_type} {training_args.stage} on {script_args.dataset_name}")
    return output.metrics


if __name__ == "__main__":
    parser = make_parser()
    main(*parser.parse_args_and_config(), recipe=parser.recipe_path)
