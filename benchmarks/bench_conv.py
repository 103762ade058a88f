"""Benchmark: every conversation model's training throughput and per-turn generation latency on real ReDial.

    python benchmarks/bench_conv.py [--models crs_kbrd crs_transformer ...] [--steps 5] [--turns 5]

Each model is built exactly as the training script builds it (`train_crs.prepare_stage` / `build_model` from the
model's `<folder>_redial.yaml` recipe: CRSLab's sizes), on the 80% training part of CRSLab's ReDial valid split
(dialogs split 80/10/10, real DBpedia KG). Training: `--steps` AdamW steps at batch 32 after one warm-up step,
reported as seconds per step and labelled response tokens per second (a counting model, the retrieval baseline,
reports its `observe` pass instead). Generation: one test turn at a time, greedy, exactly `--new-tokens` new tokens
(`min_new_tokens` forces them), with the KV cache and without it (`use_cache=False`: the whole prefix re-run per
token); the ratio is the cache's speed-up. Models on a pretrained backbone (GPT-2) get a GPT-2-small-sized model
with random weights and a BPE tokenizer trained on the split (no Hub here): the same compute as the real weights.
Each model runs in a fresh process, so its peak RSS is its own. Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import RESULTS, append_table, run_in_fresh_process  # noqa: E402  (benchmarks/common.py)

HERE = Path(__file__).resolve().parent

PRELUDE = """
import inspect
import torch
from crs_hf.models import get_model_spec
from crs_hf.scripts.train_crs import build_model, make_parser, prepare_stage, stage_head
torch.manual_seed(0)
arguments = ["--config", RECIPE, "--data_dir", RAW, "--split_dialogs", "true", "--output_dir", OUT,
             "--report_to", "none", *EXTRA]
stages = make_parser().parse_stages(arguments)
script_args, model_args, training_args = next(s for s in stages if s[2].stage == "conv")
head = stage_head(get_model_spec(model_args.model_type), "conv")
data = prepare_stage(script_args, model_args, training_args, head)
model = build_model(model_args, training_args, head, data)
keep = set(inspect.signature(model.forward).parameters)
observe = set(inspect.signature(model.observe).parameters) if head.trained_by == "counting" else set()
train, test = data.examples["train"], data.examples["test"]
batches = [data.collator([train[j] for j in range(i, min(i + 32, len(train)))]) for i in range(0, 32 * (STEPS + 1), 32)]
if head.trained_by == "gradient" and TIMING == "train":  # generation phases need no optimizer
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    loss = model(**{k: v for k, v in batches[0].items() if k in keep}).loss
    loss.backward(); optimizer.step(); optimizer.zero_grad()  # warm-up step
elif head.trained_by == "counting":  # a counting model answers from what it observed: the whole training split, before the clock starts
    for i in range(0, len(train), 256):
        batch = data.collator([train[j] for j in range(i, min(i + 256, len(train)))])
        model.observe(**{k: v for k, v in batch.items() if k in observe})
turns = [data.collator([test[i]]) for i in range(TURNS)]
"""

TRAIN = """
for batch in batches[1:STEPS + 1]:
    if head.trained_by == "counting":
        model.observe(**{k: v for k, v in batch.items() if k in observe})
    else:
        loss = model(**{k: v for k, v in batch.items() if k in keep}).loss
        loss.backward(); optimizer.step(); optimizer.zero_grad()
    rows += int((batch["labels"] != -100).sum())
"""

GENERATE = """
model.eval()
with torch.no_grad():
    for batch in turns:
        model.generate(**{k: v for k, v in batch.items() if k in keep and k != "labels"}, max_new_tokens=NEW_TOKENS,
                       min_new_tokens=NEW_TOKENS, do_sample=False, num_beams=1, use_cache=USE_CACHE)
        rows += 1
"""

BACKBONE = """
import os
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
import crs_hf
turns = crs_hf.load_dataset("redial", "turns", data_dir=RAW)["validation"]
bpe = Tokenizer(models.BPE())
bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
bpe.train_from_iterator((t for row in turns for t in [row["response"], *row["context"]]),
                        trainers.BpeTrainer(vocab_size=8000, special_tokens=["<|endoftext|>"], show_progress=False))
tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
tokenizer.save_pretrained(OUT)
GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), bos_token_id=0, eos_token_id=0)).save_pretrained(OUT)
"""


def recipe(model_type: str) -> str:
    """The model's CRSLab recipe: `<folder>_redial`, else its one for another dataset (INSPIRED's), run on ReDial."""
    from importlib import resources

    from crs_hf.models import CRS_MODELS
    from crs_hf.scripts.train_crs import sample_recipe

    folder = CRS_MODELS[model_type].config_class.__module__.split(".")[-2]
    shipped = {p.name.removesuffix(".yaml") for p in resources.files("crs_hf.example_recipes").iterdir()
               if p.name.startswith(f"{folder}_") and p.name.endswith(".yaml") and "sample" not in p.name}
    others = sorted(shipped - {f"{folder}_redial"})
    # an unknown name raises, listing the shipped recipes
    return sample_recipe(f"{folder}_redial" if f"{folder}_redial" in shipped or not others else others[0])


def main() -> None:
    from crs_hf.data.source import CRSDataSource
    from crs_hf.errors import CRSHFError
    from crs_hf.models import CRS_MODELS
    from crs_hf.scripts.train_crs import word_graph_fallback

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "crs_data" / "redial" / "crslab_nltk"))
    parser.add_argument("--models", nargs="+", default=sorted(t for t, s in CRS_MODELS.items() if s.head("conv")))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=50)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    raw = str(Path(args.data_dir).resolve())
    if not Path(raw, "valid_data.json").is_file():
        raise SystemExit(f"no CRSLab ReDial valid split in {raw}")
    table = []
    with tempfile.TemporaryDirectory() as scratch:
        backbone = str(Path(scratch, "gpt2-small-random"))
        for model_type in args.models:
            try:
                model_recipe = recipe(model_type)
            except CRSHFError as error:  # e.g. INSPIRED's CRSLab recipe is for the INSPIRED dataset
                print(f"skipped {model_type}: {error}", flush=True)
                continue
            extra = ["--model_type", model_type, "--dataset_name", "redial"]
            fallback = word_graph_fallback(model_type, CRSDataSource("redial", data_dir=raw))
            if fallback:  # CRSLab's sizes are the configs' defaults
                extra += ["--config_overrides", fallback]
            if "backbone" in CRS_MODELS[model_type].side_data("conv"):
                if not Path(backbone).is_dir():
                    run_in_fresh_process(BACKBONE, {"RAW": raw, "OUT": backbone})
                extra += ["--backbone_name_or_path", backbone]
            variables = {"RAW": raw, "RECIPE": model_recipe, "OUT": str(Path(scratch, model_type)),
                         "EXTRA": extra, "STEPS": args.steps, "TURNS": args.turns, "NEW_TOKENS": args.new_tokens}
            try:
                trained = run_in_fresh_process(TRAIN, {**variables, "TIMING": "train"}, PRELUDE)
                cached = run_in_fresh_process(GENERATE, {**variables, "TIMING": "generate", "USE_CACHE": True}, PRELUDE)
                uncached = run_in_fresh_process(GENERATE, {**variables, "TIMING": "generate", "USE_CACHE": False},
                                                PRELUDE)
            except SystemExit as failure:  # e.g. a model this release cannot build: its last error line
                print(f"skipped {model_type}: {str(failure).strip().splitlines()[-1]}", flush=True)
                continue
            table.append((CRS_MODELS[model_type].name, f"{trained['seconds'] / args.steps:.3f}",
                          f"{trained['rows'] / trained['seconds']:.0f}",
                          f"{cached['seconds'] / args.turns:.3f}", f"{uncached['seconds'] / args.turns:.3f}",
                          f"{uncached['seconds'] / cached['seconds']:.1f}x",
                          f"{max(trained['peak_rss_mib'], cached['peak_rss_mib']):.0f}"))
            print(table[-1], flush=True)
    text = append_table(
        "Conversation models on real ReDial (CRSLab valid split, 80% train), CRSLab's sizes",
        f"Training: {args.steps} AdamW steps at batch 32 after a warm-up step (a counting model: its observe pass); "
        f"generation: {args.turns} test turns one at a time, greedy, {args.new_tokens} new tokens forced, with and "
        "without the KV cache. GPT-2-sized models: random weights, BPE vocabulary of 8,000 trained on the split.",
        ["model", "train s/step", "response tokens/s", "s/turn, cache", "s/turn, no cache", "cache speed-up",
         "peak RSS MiB"], table, args.results)
    print(text)


if __name__ == "__main__":
    main()
