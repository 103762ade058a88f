"""Train and evaluate a CRS model's recommender (KBRD, KGSF or ReDial's AutoRec) on a CRSLab dataset.

    # KBRD on the ReDial sample shipped with crs_hf (seconds on CPU):
    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_sample.yaml
    # two CPU processes (gloo):
    accelerate launch --config_file examples/accelerate_configs/cpu_2proc.yaml examples/train_crs.py \\
        --config examples/recipes/kbrd_sample.yaml

Writes to `output_dir`: the model (`KBRDForRecommendation.from_pretrained` loads it, the entity graph included),
`test_results.json` and `predictions.jsonl` (per test example: the top-10 items, the gold item).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from transformers import CONFIG_MAPPING, AutoConfig, set_seed

import crs_hf
from crs_hf.data import load_graph
from crs_hf.data.crs_inputs import CRSVocabulary, RecommendationCollator, recommendation_examples
from crs_hf.data.splits import split_by_dialog
from crs_hf.models import KBRDForRecommendation, KGSFForRecommendation, ReDialForRecommendation
from crs_hf.recipes import RecipeParser, parse_config_overrides
from crs_hf.training.crs import CRSTrainer, CRSTrainingConfig

RECOMMENDERS = {
    "crs_kbrd": KBRDForRecommendation,
    "crs_kgsf": KGSFForRecommendation,
    "crs_redial": ReDialForRecommendation,
}


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


def main(script_args: ScriptArguments, model_args: ModelArguments, training_args: CRSTrainingConfig,
         recipe: str | None = None) -> dict:
    """Trains the recommender, evaluates it on the test split, writes the outputs; returns the test metrics."""
    set_seed(training_args.seed)
    data_dir = crs_hf.data.sample_data_dir(script_args.dataset_name) if script_args.use_sample else script_args.data_dir
    name = script_args.dataset_name
    vocab = CRSVocabulary.from_dataset(name, data_dir)
    graph = load_graph(name, "entity_kg", data_dir=data_dir)
    turns = crs_hf.load_dataset(name, "turns", data_dir=data_dir)
    if script_args.split_dialogs:
        turns = split_by_dialog(next(iter(turns.values())))
    examples = {split: recommendation_examples(turns[split], vocab, script_args.rec_roles) for split in turns}

    model_class = RECOMMENDERS[model_args.model_type]
    if model_args.model_name_or_path:
        model = model_class.from_pretrained(model_args.model_name_or_path)
    else:
        model = model_class(build_config(model_args, name, data_dir, vocab, graph))
        if hasattr(model, "set_entity_graph"):
            model.set_entity_graph(graph.edge_index, graph.edge_type)
        if hasattr(model, "set_word_graph"):
            model.set_word_graph(load_graph(name, "word_kg", data_dir=data_dir).edge_index)

    trainer = CRSTrainer(
        model=model,
        args=training_args,
        train_dataset=examples["train"],
        eval_dataset=examples.get("validation"),
        data_collator=RecommendationCollator(training_args.max_context_entities),
    )
    if training_args.num_train_epochs > 0 or training_args.max_steps > 0:  # 0 epochs: evaluate a checkpoint
        trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        trainer.save_state()
    output = trainer.predict(examples["test"], metric_key_prefix="test")
    trainer.save_metrics("test", output.metrics)
    if trainer.is_world_process_zero():
        names = {entity: n for n, entity in vocab.entity_ids.items()}
        with open(os.path.join(training_args.output_dir, "predictions.jsonl"), "w", encoding="utf-8") as handle:
            for example, ranked in zip(examples["test"], output.predictions[:, 0, :10], strict=True):
                handle.write(json.dumps({
                    "dialog_id": example["dialog_id"], "turn_id": example["turn_id"],
                    "ranked_items": [names[vocab.item_entity_ids[p]] for p in ranked.tolist()],
                    "gold_item": names[vocab.item_entity_ids[example["rec_labels"]]],
                }, ensure_ascii=False) + "\n")
        with open(os.path.join(training_args.output_dir, "run_args.json"), "w", encoding="utf-8") as handle:
            json.dump({"script": vars(script_args), "model": vars(model_args), "recipe": recipe}, handle, indent=2)
        keys = [f"test_{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in training_args.rec_ks]
        trainer.accelerator.print(" ".join(f"{key[5:]}={output.metrics[key]:.4f}" for key in keys))
    return output.metrics


if __name__ == "__main__":
    parser = make_parser()
    main(*parser.parse_args_and_config(), recipe=parser.recipe_path)
