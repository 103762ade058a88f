"""Train and evaluate any crs_hf model on a CRSLab dataset, one stage or a recipe's list of stages (`pretrain`,
`rec`, `conv`), each stage starting from the previous one's checkpoint where the model's stages share weights.

The script knows no model by name: it reads the model's contract (`crs_hf.models.get_model_spec(model_type)`:
the head of the stage, the inputs it consumes and the side data it is built from; `crs-hf models` lists them)
and builds exactly that, so every model of `crs_hf.models` trains here.

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
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import torch
from huggingface_hub import ModelCardData
from transformers import CONFIG_MAPPING, AutoConfig, AutoTokenizer, set_seed

import crs_hf
from crs_hf.citations import CRSLAB
from crs_hf.data.crs_inputs import (
    ContextEncoding,
    CRSCollator,
    CRSVocabulary,
    conversation_examples,
    copyable_tokens,
    recommendation_examples,
)
from crs_hf.data.registry import DATASETS, config_names
from crs_hf.data.source import CRSDataSource
from crs_hf.data.splits import split_by_dialog
from crs_hf.errors import CRSHFError
from crs_hf.model_card import render_model_card
from crs_hf.models import CRS_MODELS, CRSHead, CRSModelSpec, get_model_spec
from crs_hf.recipes import RecipeParser, parse_config_overrides
from crs_hf.tokenization import word_level_tokenizer
from crs_hf.training.crs import CRSTrainer, CRSTrainingConfig
from crs_hf.training.devices import close_process_group

TOKEN_INPUTS = ("context_tokens", "context_utterances", "response_tokens")  # the dataset's word-level vocabulary
SUBWORD_INPUTS = ("context_subwords", "response_subwords")  # a pretrained backbone's tokenizer


@dataclass
class ScriptArguments:
    """Which data to train and evaluate on, and how turns become examples."""

    dataset_name: str = field(default="redial", metadata={"help": "A CRSLab dataset of `crs-hf data list`."})
    data_dir: str | None = field(default=None, metadata={"help": "The dataset's raw release (CRSLab's processed one)."})
    dataset_path: str | None = field(default=None, metadata={
        "help": "An export folder (`crs-hf data export`) or a Hub dataset repo id, read with datasets.load_dataset."})
    use_sample: bool = field(default=False, metadata={"help": "Use the sample shipped with crs_hf."})
    split_dialogs: bool = field(default=False, metadata={
        "help": "Split the dialogs of the first split 80/10/10 by a hash of dialog_id (e.g. only a valid split)."})
    rec_roles: list[str] | None = field(default=None, metadata={
        "help": "Roles whose turns become examples (default: the dataset's recommender roles, e.g. Recommender)."})
    candidate_items: str = field(default="catalogue", metadata={
        "help": "rec: score and train over the item catalogue, or over every entity as CRSLab's KBRD/KGSF do "
                "(evaluation ranks the catalogue either way).", "choices": ["catalogue", "entities"]})
    max_context_tokens: int = field(default=256, metadata={
        "help": "Flat contexts: last tokens kept (CRSLab's context_truncate); utterance grids: tokens per utterance "
                "(utterance_truncate)."})
    max_response_tokens: int = field(default=30, metadata={
        "help": "conv: response length counting the start and end tokens (CRSLab's response_truncate)."})
    max_utterances: int = field(default=40, metadata={
        "help": "Utterance grids (ReDial's HRED): utterances kept (CRSLab's conversation_truncate)."})
    keep_utterances: str = field(default="first", metadata={
        "help": "Utterance grids: keep the first max_utterances (CRSLab) or the last.", "choices": ["first", "last"]})
    utterance_separator: str = field(default="none", metadata={
        "help": "Flat contexts: join the utterances' tokens (CRSLab's merge_utt) or end each with the end token.",
        "choices": ["none", "eos"]})
    max_train_samples: int | None = field(default=None, metadata={
        "help": "Keep only the first N training examples (a quick run, or a debugging one)."})
    max_eval_samples: int | None = field(default=None, metadata={
        "help": "Keep only the first N validation examples."})
    max_test_samples: int | None = field(default=None, metadata={
        "help": "Keep only the first N test examples (evaluated and written to predictions.jsonl)."})

    def __post_init__(self):
        for name in ("max_train_samples", "max_eval_samples", "max_test_samples"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 (or left unset for every example), "
                                 f"but got {getattr(self, name)}")


@dataclass
class ModelArguments:
    model_type: str | None = field(default=None, metadata={"help": "Model (`crs-hf models` lists them).",
                                                           "choices": sorted(CRS_MODELS)})
    model_name_or_path: str | None = field(default=None, metadata={"help": "Start from this checkpoint."})
    backbone_name_or_path: str | None = field(default=None, metadata={
        "help": "Models built on a pretrained encoder (e.g. crs_bert): its Hub id or folder, e.g. bert-base-uncased."})
    config_overrides: str | None = field(default=None, metadata={"help": "e.g. 'kg_emb_dim=64,num_bases=4'."})
    freeze_graph_encoders: bool = field(default=False, metadata={
        "help": "conv of a graph model (KBRD, KGSF): train only the conversation layers, as CRSLab does."})
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


@dataclass
class StageData:
    """What one stage is built from: the data source, its id maps, the side data the head asked for, the
    examples per split, the collator and the tokenizer."""

    source: CRSDataSource
    vocab: CRSVocabulary  # the model's candidates (`candidate_items`); `n_eval_items` of them are the catalogue
    n_eval_items: int
    graphs: dict  # "entity_kg" / "word_kg" -> KGGraph, those the head needs
    examples: dict
    collator: CRSCollator
    tokenizer: object | None


def data_source(script_args: ScriptArguments) -> CRSDataSource:
    if script_args.use_sample and (script_args.data_dir or script_args.dataset_path):
        raise CRSHFError(f"use_sample reads the sample shipped with crs_hf; it cannot go with data_dir="
                         f"{script_args.data_dir!r} / dataset_path={script_args.dataset_path!r}: drop one")
    if script_args.use_sample:
        return CRSDataSource.sample(script_args.dataset_name)
    return CRSDataSource(script_args.dataset_name, data_dir=script_args.data_dir,
                         dataset_path=script_args.dataset_path)


def stage_head(spec: CRSModelSpec, stage: str) -> CRSHead:
    head = spec.head(stage)
    if head is None:
        raise CRSHFError(f"{spec.model_type} has no {stage!r} head; its stages are {', '.join(spec.tasks)}")
    return head


def backbone_tokenizer(model_args: ModelArguments, head: CRSHead):
    """The tokenizer of the backbone (or of the checkpoint trained from it). One without a pad token (GPT-2's) pads
    with its end token: padding is masked by `attention_mask` and `labels` are padded with -100, so the end token
    keeps its meaning."""
    backbone = model_args.model_name_or_path or model_args.backbone_name_or_path
    if backbone is None:
        raise CRSHFError(f"{head.model_class.__name__} reads a pretrained backbone's subwords: give "
                         "backbone_name_or_path (e.g. bert-base-uncased or openai-community/gpt2)")
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    if tokenizer.pad_token is None:
        end = tokenizer.eos_token or tokenizer.sep_token
        if end is None:
            raise CRSHFError(f"the tokenizer of {backbone} has no pad, eos or sep token to pad with")
        tokenizer.pad_token = end
    return tokenizer


def prepare_stage(script_args: ScriptArguments, model_args: ModelArguments, training_args: CRSTrainingConfig,
                  head: CRSHead) -> StageData:
    """Reads the data the head declares it needs and builds the stage's examples; refuses, before any training, a
    dataset that cannot give an input or side data the head needs."""
    source, stage = data_source(script_args), training_args.stage
    facts = DATASETS[source.name]
    roles = script_args.rec_roles or list(facts.recommender_roles)
    missing = [config for config in ("turns", "items") if config not in config_names(source.name)]
    if missing:  # e.g. DuRecDial 2.0: task records for the seq2seq script (examples/train_durecdial2.py)
        raise CRSHFError(f"{source.name} has no {' / '.join(missing)} config: train_crs's models read a dataset in "
                         "CRSLab's processed form (`crs-hf data list` shows which have it)")
    needs = set(head.side_data)
    graphs = {}
    for kg in ("entity_kg", "word_kg"):
        if kg in needs:
            if not source.has_config(kg):
                raise CRSHFError(f"{head.model_class.__name__} needs the {source.name} {kg}, which "
                                 f"{source.description} does not have")
            graphs[kg] = source.graph(kg)
    catalogue = CRSVocabulary.from_source(source)
    vocab = catalogue.with_every_entity_as_candidate() if script_args.candidate_items == "entities" else catalogue
    n_eval_items = len(catalogue.item_entity_ids)
    if stage == "rec" and n_eval_items < max(training_args.rec_ks):
        raise CRSHFError(f"{source.name}: the catalogue has {n_eval_items} items, fewer than the largest cut-off "
                         f"rec_ks={training_args.rec_ks}; Hit@{max(training_args.rec_ks)} would be 1 by construction")

    turns = source.load("turns")
    if script_args.split_dialogs:
        turns = split_by_dialog(next(iter(turns.values())))
    columns = next(iter(turns.values())).column_names
    inputs = set(head.inputs) | {kind for kind in head.optional_inputs
                                 if kind != "history_items" or "interaction_history" in columns}
    if "history_items" in head.inputs and "interaction_history" not in columns:
        raise CRSHFError(f"{head.model_class.__name__} needs the user's interaction history, which {source.name} "
                         "turns do not record (TG-ReDial's do)")

    tokenizer = None
    if inputs & set(TOKEN_INPUTS) or "vocabulary" in needs:
        token2id = source.load("token2id")["train"]
        token_ids = dict(zip(token2id["name"], token2id["id"]))
        if head.item_placeholder:
            token_ids.setdefault(head.item_placeholder, max(token_ids.values()) + 1)
        tokenizer = word_level_tokenizer(token_ids)
    if inputs & set(SUBWORD_INPUTS):
        tokenizer = backbone_tokenizer(model_args, head)
    context = None
    if inputs & {"context_tokens", "context_utterances", "context_subwords"}:
        context = ContextEncoding(
            tokenizer, script_args.max_context_tokens, hierarchical="context_utterances" in inputs,
            max_utterances=script_args.max_utterances, keep_utterances=script_args.keep_utterances,
            utterance_separator=script_args.utterance_separator, special_tokens="context_subwords" in inputs)
    if stage == "conv":
        if "response_items" in inputs and not catalogue.item_entity_ids:
            raise CRSHFError(f"{head.model_class.__name__} fills item slots, but {source.name} has no items")
        def build(split_turns):
            return conversation_examples(
                split_turns, vocab, context, roles, script_args.max_response_tokens,
                item_token=head.item_placeholder, item_mention=facts.item_mention,
                response_items="response_items" in inputs,
                response_roles=facts.recommender_roles if "response_role" in inputs else None)
    else:
        def build(split_turns):
            return recommendation_examples(
                split_turns, vocab, roles, one_per_gold_item=stage == "rec", history="history_items" in inputs,
                context=context)
    limits = {"train": script_args.max_train_samples, "validation": script_args.max_eval_samples,
              "test": script_args.max_test_samples}
    examples = {split: first_examples(build, turns[split], limits.get(split)) for split in turns}
    for split, rows in examples.items():
        if len(rows) == 0:
            raise CRSHFError(f"{source.name} {split} split: no {stage} examples (roles {roles})")
    if "response_items" in inputs and not any(
            p >= 0 for row in examples["train"]["response_item_positions"] for p in row):
        raise CRSHFError(f"{head.model_class.__name__} learns to fill item slots, but no {source.name} training "
                         "response names a catalogue item it can place a slot for")
    collator = CRSCollator(pad_token_id=tokenizer.pad_token_id if tokenizer is not None else 0,
                           max_entities=training_args.max_context_entities, entity_labels=stage == "pretrain")
    return StageData(source, vocab, n_eval_items, graphs, examples, collator, tokenizer)


def first_examples(build, turns, limit: int | None):
    """`build(turns)`, or its first `limit` examples built from as few turns as give them (examples follow the
    turns' order, each from its own turn), so a quick run does not process a whole release."""
    if limit is None:
        return build(turns)
    n_turns = limit
    while True:
        rows = build(turns.select(range(min(n_turns, len(turns)))))
        if len(rows) >= limit or n_turns >= len(turns):
            return rows.select(range(min(limit, len(rows))))
        n_turns *= 4


def build_model(model_args: ModelArguments, training_args: CRSTrainingConfig, head: CRSHead, data: StageData):
    """The stage's model: from `model_name_or_path` (e.g. the previous stage's checkpoint) or new with this release's
    sizes, then the side data its head declares (graphs, copy mask, backbone), token embeddings and freezing."""
    tokenizer, vocab = data.tokenizer, data.vocab
    text_sizes = {}
    if tokenizer is not None and "vocabulary" in head.side_data:
        text_sizes = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
                      "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                      "decoder_start_token_id": tokenizer.bos_token_id}
        if head.item_placeholder:
            text_sizes["item_token_id"] = tokenizer.convert_tokens_to_ids(head.item_placeholder)
    fields = config_fields(model_args.model_type)
    text_sizes = {key: value for key, value in text_sizes.items() if key in fields}
    if model_args.model_name_or_path:  # the graphs (and graph buffers) come from the checkpoint
        model = head.model_class.from_pretrained(model_args.model_name_or_path,
                                                 **{**config_overrides(model_args), **text_sizes})
    else:
        sizes = {"n_word": vocab.n_word, "item_ids": vocab.item_entity_ids, "n_items": len(vocab.item_entity_ids),
                 "n_entity": vocab.n_entity}
        if "entity_kg" in data.graphs:
            sizes.update(n_entity=data.graphs["entity_kg"].num_nodes, n_relation=data.graphs["entity_kg"].num_relations)
        sizes = {key: value for key, value in sizes.items() if key in fields}
        config = AutoConfig.for_model(model_args.model_type, **sizes, **config_overrides(model_args), **text_sizes)
        if getattr(config, "use_word_graph", False) and "word_kg" not in data.graphs:
            raise CRSHFError(f"{head.model_class.__name__} uses the word graph (use_word_graph=True), which its "
                             f"{training_args.stage} stage reads from an earlier stage's checkpoint: start from one "
                             "(model_name_or_path, or the recipe's earlier stages) or set use_word_graph=false "
                             "(config_overrides)")
        model = head.model_class(config)
        if "entity_kg" in data.graphs:
            model.set_entity_graph(data.graphs["entity_kg"].edge_index, data.graphs["entity_kg"].edge_type)
        if "word_kg" in data.graphs:
            model.set_word_graph(data.graphs["word_kg"].edge_index)
        if "backbone" in head.side_data:
            if model_args.backbone_name_or_path is None:
                raise CRSHFError(f"{head.model_class.__name__} starts from a pretrained backbone: give "
                                 "backbone_name_or_path (or model_name_or_path of a trained checkpoint)")
            model.set_backbone(model_args.backbone_name_or_path)
    if "copy_mask" in head.side_data:
        model.set_copy_mask(copyable_tokens(tokenizer, vocab, DATASETS[data.source.name].item_mention))
    if model_args.token_embeddings:
        load_token_embeddings(model, model_args.token_embeddings)
    if model_args.freeze_graph_encoders:
        if training_args.stage != "conv" or "entity_kg" not in head.side_data:
            raise CRSHFError(f"freeze_graph_encoders applies to the conv stage of a graph model; "
                             f"{model_args.model_type}'s {training_args.stage} head is not one")
        model.base_model.requires_grad_(False)  # the R-GCN (and KGSF's word GCN, attention and gate)
    return model


def word_graph_fallback(model_type: str, source: CRSDataSource) -> str:
    """`config_overrides` for a model's default (CRSLab) sizes on `source`: a model that can do without the word
    graph (`use_word_graph`, NTRD) runs without it where the release ships none; `""` otherwise."""
    if "use_word_graph" in config_fields(model_type) and not source.has_config("word_kg"):
        return "use_word_graph=false"
    return ""


def check_lengths(model, script_args: ScriptArguments, head: CRSHead) -> None:
    """A word-level transformer (KBRD, KGSF, NTRD, Transformer) has `n_positions` positions for the context and for
    the response: truncation lengths beyond them are refused here, not at the first long batch."""
    n_positions = getattr(model.config, "n_positions", None)
    if n_positions is None or "vocabulary" not in head.side_data:
        return
    for name in ("max_context_tokens", "max_response_tokens"):
        if getattr(script_args, name) > n_positions:
            raise CRSHFError(f"{name}={getattr(script_args, name)} exceeds {type(model).__name__}'s "
                             f"n_positions={n_positions}; lower it or raise n_positions (config_overrides)")


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


PROTOCOLS = {
    "pretrain": "The pre-training loss on the test turns.",
    "rec": "Items ranked over the catalogue; one sample per gold item (CRSLab's protocol); `*_new`: gold items "
           "not mentioned earlier, with mentioned items masked.",
    "conv": "Responses generated with `generate()`; BLEU/Distinct/F1 in the standard definitions and, as "
            "`crslab_*`, in CRSLab's (see crs_hf.metrics.generation); perplexity token-weighted.",
}
STAGE_NAMES = {"pretrain": "pre-trained encoders", "rec": "recommender", "conv": "conversation model"}


def write_model_card(model, spec: CRSModelSpec, head: CRSHead, script_args, training_args, examples, metrics,
                     recipe) -> None:
    stage = training_args.stage
    card = render_model_card(
        "crs_model",
        ModelCardData(language=["en"], license="apache-2.0", library_name="transformers",
                      datasets=[f"crs_hf/{script_args.dataset_name}"],
                      tags=["crs_hf", "conversational-recommendation", spec.model_type, stage]),
        model_name=os.path.basename(os.path.abspath(training_args.output_dir)),
        repo_id=training_args.hub_model_id or training_args.output_dir,
        stage_name=STAGE_NAMES[stage], architecture=spec.name, summary=spec.summary,
        deviations="\n".join(f"- {line}" for line in spec.differences_from_crslab) or "None.",
        has_graph="entity_kg" in head.side_data, model_class=type(model).__name__, model_type=spec.model_type, dataset=script_args.dataset_name,
        data_note="the sample shipped with crs_hf" if script_args.use_sample else (
            "dialogs split 80/10/10 by a hash of dialog_id" if script_args.split_dialogs else "the release's splits"),
        n_train=len(examples["train"]), n_eval=len(examples.get("validation", [])), n_test=len(examples["test"]),
        recipe=recipe or "(command-line arguments; see training_args.bin)",
        hyperparameters={k: getattr(training_args, k) for k in (
            "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "seed")},
        protocol=PROTOCOLS[stage],
        results={k.removeprefix("test_"): v for k, v in metrics.items()
                 if isinstance(v, float) and not k.endswith(("runtime", "per_second"))},
        citation="\n".join(c.strip() for c in (spec.citation, CRSLAB)),
    )
    card.save(os.path.join(training_args.output_dir, "README.md"))


def main(script_args: ScriptArguments, model_args: ModelArguments, training_args: CRSTrainingConfig,
         recipe: str | None = None) -> dict:
    """Trains one stage, evaluates it on the test split, writes the outputs; returns the test metrics."""
    set_seed(training_args.seed)
    if model_args.model_type is None:
        raise CRSHFError("no model_type; `crs-hf models` lists them")
    spec = get_model_spec(model_args.model_type)
    head, stage = stage_head(spec, training_args.stage), training_args.stage
    data = prepare_stage(script_args, model_args, training_args, head)
    model = build_model(model_args, training_args, head, data)
    check_lengths(model, script_args, head)
    examples = data.examples

    trainer = CRSTrainer(
        model=model,
        args=training_args,
        train_dataset=examples["train"],
        eval_dataset=examples.get("validation"),
        data_collator=data.collator,
        processing_class=data.tokenizer,
        trained_by=head.trained_by,
        n_eval_items=data.n_eval_items,
    )
    if training_args.num_train_epochs > 0 or training_args.max_steps > 0:  # 0 epochs: evaluate a checkpoint
        trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        trainer.save_state()
    output = trainer.predict(examples["test"], metric_key_prefix="test")
    evaluated = 0 if output.predictions is None else len(output.predictions)
    name = script_args.dataset_name
    if stage != "pretrain" and evaluated != len(examples["test"]):  # e.g. dataloader_drop_last drops a partial batch
        raise CRSHFError(f"{name} test split: {evaluated} of its {len(examples['test'])} examples were evaluated; "
                         f"metrics over a subset would be wrong (dataloader_drop_last={training_args.dataloader_drop_last})")
    trainer.save_metrics("test", output.metrics)
    if trainer.is_world_process_zero():
        if stage != "pretrain":
            write_predictions(os.path.join(training_args.output_dir, "predictions.jsonl"), stage,
                              examples["test"], output, data.vocab, data.tokenizer)
        with open(os.path.join(training_args.output_dir, "run_args.json"), "w", encoding="utf-8") as handle:
            json.dump({"script": vars(script_args), "model": vars(model_args), "recipe": recipe}, handle, indent=2)
        write_model_card(model, spec, head, script_args, training_args, examples, output.metrics, recipe)
        keys = {"pretrain": ["loss"], "rec": [f"{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in training_args.rec_ks],
                "conv": ["bleu@1", "bleu@2", "dist@1", "dist@2", "f1", "perplexity", "crslab_bleu@1", "crslab_dist@2"]}
        trainer.accelerator.print(f"{stage}: " + " ".join(
            f"{key}={output.metrics[f'test_{key}']:.4f}" for key in keys[stage] if f"test_{key}" in output.metrics))
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message=f"{model_args.model_type} {stage} on {script_args.dataset_name}")
    return output.metrics


def run_stages(stages: list[tuple], recipe: str | None = None) -> dict[str, dict]:
    """Runs the stages of a recipe in order, each into `output_dir/<stage>` (a single stage keeps `output_dir`) and
    from the previous one's checkpoint where the model's stages share weights (`CRSModelSpec.stages_share_weights`);
    only the last one pushes to the Hub, by default to a repo named after `output_dir` (not after the stage).
    Every stage's head is checked before the first one trains. Returns the test metrics per stage."""
    names = [training_args.stage for _, _, training_args in stages]
    if len(set(names)) != len(names):
        raise CRSHFError(f"recipe {recipe}: each stage may appear once, got {names}")
    for _, model_args, training_args in stages:
        if model_args.model_type is None:
            raise CRSHFError(f"recipe {recipe}: no model_type; `crs-hf models` lists them")
        stage_head(get_model_spec(model_args.model_type), training_args.stage)
    results, previous = {}, None
    for index, (script_args, model_args, training_args) in enumerate(stages):
        if len(stages) > 1:
            if training_args.push_to_hub and not training_args.hub_model_id:
                training_args.hub_model_id = os.path.basename(os.path.abspath(training_args.output_dir))
            training_args.output_dir = os.path.join(training_args.output_dir, training_args.stage)
            training_args.push_to_hub = training_args.push_to_hub and index == len(stages) - 1
        if previous is not None and get_model_spec(model_args.model_type).stages_share_weights:
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
