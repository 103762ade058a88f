"""Train and evaluate a CRS model on a CRSLab dataset, one stage or a recipe's list of stages: KGSF's
mutual-information pre-training (`pretrain`), the recommender (`rec`: KBRD, KGSF, ReDial's AutoRec) and the
conversation model (`conv`: KBRD, KGSF, ReDial's HRED), each stage starting from the previous one's checkpoint.

    # KBRD on the ReDial sample shipped with crs_hf (seconds on CPU):
    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_sample.yaml
    # two CPU processes (gloo):
    accelerate launch --config_file examples/accelerate_configs/cpu_2proc.yaml examples/train_crs.py \\
        --config examples/recipes/kbrd_sample.yaml
    # then KBRD's conversation model on top of the trained recommender (its KG encoder and graph):
    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_conv_sample.yaml \\
        --model_name_or_path outputs/kbrd_sample
    # KGSF's three stages (pretrain -> rec -> conv) from one recipe, into outputs/kgsf_stages_sample/<stage>:
    accelerate launch examples/train_crs.py --config examples/recipes/kgsf_stages_sample.yaml

(`python -m crs_hf.scripts.train_crs --config kbrd_sample` runs the same without a checkout: the recipes ship with
the package, and `--config` takes a shipped recipe's name where no such file exists.) Writes to `output_dir` (`output_dir/<stage>` for a recipe with stages): the model
(`from_pretrained` loads it, the graphs included; the conv stage also saves its tokenizer, so
`AutoTokenizer.from_pretrained` works), `test_results.json` and `predictions.jsonl` (per test example: the top-10
items and the gold item, or the generated response and the reference).
"""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from dataclasses import dataclass, field

import numpy as np
import torch
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
    copyable_tokens,
    recommendation_examples,
)
from crs_hf.data.splits import split_by_dialog
from crs_hf.errors import CRSHFError
from crs_hf.model_card import render_model_card
from crs_hf.models import (
    KBRDForConversation,
    KBRDForRecommendation,
    KGSFForConversation,
    KGSFForPretraining,
    KGSFForRecommendation,
    ReDialForConversation,
    ReDialForRecommendation,
)
from crs_hf.recipes import RecipeParser, parse_config_overrides
from crs_hf.tokenization import word_level_tokenizer
from crs_hf.training.crs import CRSTrainer, CRSTrainingConfig
from crs_hf.training.devices import close_process_group

STAGE_MODELS = {
    "pretrain": {"crs_kgsf": KGSFForPretraining},
    "rec": {"crs_kbrd": KBRDForRecommendation, "crs_kgsf": KGSFForRecommendation, "crs_redial": ReDialForRecommendation},
    "conv": {"crs_kbrd": KBRDForConversation, "crs_kgsf": KGSFForConversation, "crs_redial": ReDialForConversation},
}
SEPARATE_STAGE_MODELS = {"crs_redial"}  # ReDial's recommender and conversation model share no weights (as in CRSLab)
ITEM_TOKEN = "__item__"  # ReDial's switching decoder generates this placeholder where the response mentions an item


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
    max_context_tokens: int = field(default=256, metadata={
        "help": "conv: most recent context tokens kept (CRSLab's context_truncate); ReDial: tokens per utterance."})
    max_response_tokens: int = field(default=30, metadata={"help": "conv: response tokens kept, end token included."})
    max_utterances: int = field(default=40, metadata={
        "help": "conv, ReDial: most recent context utterances kept (CRSLab's conversation_truncate)."})


@dataclass
class ModelArguments:
    model_type: str = field(default="crs_kbrd", metadata={"help": "Model.", "choices": list(STAGE_MODELS["rec"])})
    model_name_or_path: str | None = field(default=None, metadata={"help": "Start from this checkpoint."})
    config_overrides: str | None = field(default=None, metadata={"help": "e.g. 'kg_emb_dim=64,num_bases=4'."})
    freeze_graph_encoders: bool = field(default=False, metadata={
        "help": "conv, KBRD/KGSF: train only the conversation layers, as CRSLab does after the recommender."})
    token_embeddings: str | None = field(default=None, metadata={
        "help": "conv: a .npy (vocab_size, embedding dim) of initial token embeddings (CRSLab's word2vec.npy)."})


def make_parser() -> RecipeParser:
    return RecipeParser((ScriptArguments, ModelArguments, CRSTrainingConfig))


def config_fields(model_type: str) -> set[str]:
    return set(CONFIG_MAPPING[model_type].__dataclass_fields__)


def config_overrides(model_args: ModelArguments) -> dict:
    """`config_overrides` as a dict; a key the model's config does not have is an error (a typo would be ignored)."""
    overrides = parse_config_overrides(model_args.config_overrides)
    unknown = sorted(set(overrides) - config_fields(model_args.model_type))
    if unknown:
        raise CRSHFError(f"config_overrides {model_args.config_overrides!r}: {model_args.model_type} has no "
                         f"setting {', '.join(unknown)}")
    return overrides


def build_config(model_args: ModelArguments, name: str, data_dir, vocab: CRSVocabulary, graph):
    """The model's config with the sizes of this dataset release (those the model type has) and the overrides."""
    sizes = {"n_entity": graph.num_nodes, "n_relation": graph.num_relations, "n_word": vocab.n_word,
             "item_ids": vocab.item_entity_ids}
    fields = config_fields(model_args.model_type)
    sizes = {key: value for key, value in sizes.items() if key in fields}
    return AutoConfig.for_model(model_args.model_type, **sizes, **config_overrides(model_args))


def build_model(model_args: ModelArguments, training_args: CRSTrainingConfig, name: str, data_dir,
                vocab: CRSVocabulary, graph, tokenizer=None):
    """The stage's model: from `model_name_or_path` (e.g. the previous stage's checkpoint) or new, with the
    conversation stage's tokenizer sizes, KGSF's copy mask, initial token embeddings and freezing."""
    stage_models = STAGE_MODELS[training_args.stage]
    if model_args.model_type not in stage_models:
        raise CRSHFError(f"stage {training_args.stage!r} supports model_type {', '.join(stage_models)}, "
                         f"but got {model_args.model_type!r}")
    text_sizes = {} if tokenizer is None else {
        "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id, "decoder_start_token_id": tokenizer.bos_token_id}
    if tokenizer is not None and model_args.model_type == "crs_redial":
        text_sizes["item_token_id"] = tokenizer.convert_tokens_to_ids(ITEM_TOKEN)
    model_class = stage_models[model_args.model_type]
    if model_args.model_name_or_path:  # the graph encoders (and graph buffers) come from the checkpoint
        model = model_class.from_pretrained(model_args.model_name_or_path,
                                            **{**config_overrides(model_args), **text_sizes})
    else:
        config = build_config(model_args, name, data_dir, vocab, graph)
        for key, value in text_sizes.items():
            setattr(config, key, value)
        model = model_class(config)
        if hasattr(model, "set_entity_graph"):
            model.set_entity_graph(graph.edge_index, graph.edge_type)
        if hasattr(model, "set_word_graph"):
            model.set_word_graph(load_graph(name, "word_kg", data_dir=data_dir).edge_index)
    if hasattr(model, "set_copy_mask"):
        model.set_copy_mask(copyable_tokens(tokenizer, vocab))
    if model_args.token_embeddings:
        load_token_embeddings(model, model_args.token_embeddings)
    if model_args.freeze_graph_encoders:
        if training_args.stage != "conv" or model_args.model_type == "crs_redial":
            raise CRSHFError("freeze_graph_encoders applies to the conv stage of crs_kbrd and crs_kgsf (ReDial's "
                             "conversation model has no graph encoder)")
        model.model.requires_grad_(False)  # the R-GCN (and KGSF's word GCN, attention and gate)
    return model


def load_token_embeddings(model, path: str) -> None:
    """Copies a `(vocab_size, embedding dim)` .npy matrix into the model's token embeddings."""
    weight = model.get_input_embeddings().weight
    try:
        matrix = torch.from_numpy(np.load(path, allow_pickle=False)).to(weight.dtype)
    except (OSError, ValueError) as error:
        raise CRSHFError(f"{path}: cannot read token embeddings: {error}") from error
    if tuple(matrix.shape) != tuple(weight.shape):
        raise CRSHFError(f"{path}: token embeddings of shape {tuple(matrix.shape)}, but the model's are "
                         f"{tuple(weight.shape)} (vocab_size, embedding dim)")
    with torch.no_grad():
        weight.copy_(matrix)


def stage_inputs(script_args: ScriptArguments, model_type: str, stage: str, turns, vocab: CRSVocabulary,
                 data_dir, max_context_entities: int | None):
    """Examples per split, the collator and (conv) the tokenizer of one stage."""
    if stage in ("pretrain", "rec"):
        examples = {split: recommendation_examples(turns[split], vocab, script_args.rec_roles) for split in turns}
        return examples, RecommendationCollator(max_context_entities, entity_labels=stage == "pretrain"), None
    token2id = crs_hf.load_dataset(script_args.dataset_name, "token2id", data_dir=data_dir)["train"]
    token_ids = dict(zip(token2id["name"], token2id["id"]))
    redial = model_type == "crs_redial"
    if redial:
        token_ids.setdefault(ITEM_TOKEN, max(token_ids.values()) + 1)
    tokenizer = word_level_tokenizer(token_ids)
    examples = {split: conversation_examples(
        turns[split], vocab, tokenizer, script_args.rec_roles, script_args.max_context_tokens,
        script_args.max_response_tokens, hierarchical=redial, max_utterances=script_args.max_utterances,
        item_token=ITEM_TOKEN if redial else None) for split in turns}
    return examples, ConversationCollator(tokenizer.pad_token_id), tokenizer


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
    docstring = sys.modules[type(model).__module__].__doc__
    deviations = docstring[docstring.index("Differences from CRSLab"):].strip()  # the model's list, to its end
    stage = training_args.stage
    protocol = {
        "pretrain": "The mutual-information loss (KGSF's pre-training objective) on the test turns.",
        "rec": "Items ranked over the catalogue; one sample per gold item (CRSLab's protocol); `*_new`: gold items "
               "not mentioned earlier, with mentioned items masked.",
        "conv": "Responses generated with `generate()`; BLEU/Distinct/F1 in the standard definitions and, as "
                "`crslab_*`, in CRSLab's (see crs_hf.metrics.generation); perplexity token-weighted.",
    }[stage]
    card = render_model_card(
        "crs_model",
        ModelCardData(language=["en"], license="apache-2.0", library_name="transformers",
                      datasets=[f"crs_hf/{script_args.dataset_name}"],
                      tags=["crs_hf", "conversational-recommendation", model_args.model_type, stage]),
        model_name=os.path.basename(os.path.abspath(training_args.output_dir)),
        repo_id=training_args.hub_model_id or training_args.output_dir,
        stage_name={"pretrain": "pre-trained graph encoders", "rec": "recommender", "conv": "conversation model"}[stage],
        architecture=architecture, folder=folder, deviations=deviations, has_graph=hasattr(model, "set_entity_graph"), model_class=type(model).__name__, dataset=script_args.dataset_name,
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
    name, stage = script_args.dataset_name, training_args.stage
    vocab = CRSVocabulary.from_dataset(name, data_dir)
    graph = load_graph(name, "entity_kg", data_dir=data_dir)
    turns = crs_hf.load_dataset(name, "turns", data_dir=data_dir)
    if script_args.split_dialogs:
        turns = split_by_dialog(next(iter(turns.values())))
    examples, collator, tokenizer = stage_inputs(script_args, model_args.model_type, stage, turns, vocab, data_dir,
                                                 training_args.max_context_entities)
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
    evaluated = 0 if output.predictions is None else len(output.predictions)
    if stage != "pretrain" and evaluated != len(examples["test"]):  # e.g. dataloader_drop_last drops a partial batch
        raise CRSHFError(f"{name} test split: {evaluated} of its {len(examples['test'])} examples were evaluated; "
                         f"metrics over a subset would be wrong (dataloader_drop_last={training_args.dataloader_drop_last})")
    trainer.save_metrics("test", output.metrics)
    if trainer.is_world_process_zero():
        if stage != "pretrain":
            write_predictions(os.path.join(training_args.output_dir, "predictions.jsonl"), stage,
                              examples["test"], output, vocab, tokenizer)
        with open(os.path.join(training_args.output_dir, "run_args.json"), "w", encoding="utf-8") as handle:
            json.dump({"script": vars(script_args), "model": vars(model_args), "recipe": recipe}, handle, indent=2)
        write_model_card(model, script_args, model_args, training_args, examples, output.metrics, recipe)
        keys = {"pretrain": ["loss"], "rec": [f"{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in training_args.rec_ks],
                "conv": ["bleu@1", "bleu@2", "dist@1", "dist@2", "f1", "perplexity", "crslab_bleu@1", "crslab_dist@2"]}
        trainer.accelerator.print(f"{stage}: " + " ".join(
            f"{key}={output.metrics[f'test_{key}']:.4f}" for key in keys[stage] if f"test_{key}" in output.metrics))
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message=f"{model_args.model_type} {stage} on {script_args.dataset_name}")
    return output.metrics


def run_stages(stages: list[tuple], recipe: str | None = None) -> dict[str, dict]:
    """Runs the stages of a recipe in order, each into `output_dir/<stage>` (a single stage keeps `output_dir`) and
    from the previous one's checkpoint (except ReDial's, whose stages are separate models); only the last one pushes
    to the Hub, by default to a repo named after `output_dir` (not after the stage). Returns the test metrics per
    stage."""
    names = [training_args.stage for _, _, training_args in stages]
    if len(set(names)) != len(names):
        raise CRSHFError(f"recipe {recipe}: each stage may appear once, got {names}")
    results, previous = {}, None
    for index, (script_args, model_args, training_args) in enumerate(stages):
        if len(stages) > 1:
            if training_args.push_to_hub and not training_args.hub_model_id:
                training_args.hub_model_id = os.path.basename(os.path.abspath(training_args.output_dir))
            training_args.output_dir = os.path.join(training_args.output_dir, training_args.stage)
            training_args.push_to_hub = training_args.push_to_hub and index == len(stages) - 1
        if previous is not None and model_args.model_type not in SEPARATE_STAGE_MODELS:
            model_args.model_name_or_path = previous
        results[training_args.stage] = main(script_args, model_args, training_args, recipe=recipe)
        previous = training_args.output_dir
    return results


def sample_recipe(name: str) -> str:
    """Path of a recipe shipped with crs_hf (`examples/recipes/<name>.yaml` of the repository), e.g. `kbrd_sample`."""
    path = resources.files("crs_hf.example_recipes") / f"{name}.yaml"
    if not path.is_file():
        available = sorted(p.name.removesuffix(".yaml") for p in resources.files("crs_hf.example_recipes").iterdir()
                           if p.name.endswith(".yaml"))
        raise CRSHFError(f"no recipe {name!r} ships with crs_hf; available: {', '.join(available)}")
    return str(path)


def cli(args: list[str] | None = None) -> dict[str, dict]:
    """Parses `args` (default: the command line) with a recipe and runs its stages. `--config NAME`, where NAME is
    no file but the name of a shipped recipe (e.g. `kbrd_sample`), uses that recipe."""
    args = list(sys.argv[1:] if args is None else args)
    for index, arg in enumerate(args[:-1]):
        if arg == "--config" and not os.path.exists(args[index + 1]) and os.sep not in args[index + 1]:
            args[index + 1] = sample_recipe(args[index + 1].removesuffix(".yaml"))
    parser = make_parser()
    try:
        stages = parser.parse_stages(args)
    except ValueError as error:  # an argument value TrainingArguments (or CRSTrainingConfig) refuses
        raise CRSHFError(f"invalid arguments: {error}") from error
    try:
        return run_stages(stages, recipe=parser.recipe_path)
    finally:
        close_process_group()


def console_main() -> None:
    """`cli()` for a command line: crs_hf's own errors (bad recipe, bad data) print as one line, exit status 1."""
    try:
        cli()
    except CRSHFError as error:
        raise SystemExit(f"train_crs: {error}") from None


if __name__ == "__main__":
    console_main()
