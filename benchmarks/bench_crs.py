"""Benchmark: KBRD / KGSF / ReDial training-step and epoch time, peak memory and generation latency on real ReDial.

    python benchmarks/bench_crs.py [--steps 20] [--data-dir ../shared/crs_data/redial/crslab_nltk]

Data: CRSLab's ReDial valid split with the real DBpedia KG (64,363 entities, 316,884 edges after CRSLab's
processing), dialogs split 80/10/10; CRSLab's default model sizes. KGSF's word graph is the release's ConceptNet
sub-KG where present, else a synthetic one (120,000 random edges over the 29,309 words; ../shared lacks the file). Each phase runs in a fresh process (data and
model built before the clock starts) so its peak RSS is its own; an epoch time is `steps per epoch x seconds per
step` measured over `--steps` optimizer steps. Generation: greedy, 20 new tokens, one turn at a time, KV cache.
Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import RESULTS, append_table, run_in_fresh_process  # noqa: E402  (benchmarks/common.py)

HERE = Path(__file__).resolve().parent

PRELUDE = """
import torch
from transformers import AutoConfig
import crs_hf
from crs_hf.data import load_graph
from crs_hf.data.crs_inputs import (ContextEncoding, CRSCollator, CRSVocabulary, recommendation_examples,
                                    conversation_examples, copyable_tokens)
from crs_hf.data.splits import split_by_dialog
from crs_hf.models import (KBRDForConversation, KBRDForRecommendation, KGSFForConversation, KGSFForRecommendation,
                           ReDialForConversation, ReDialForRecommendation)
from crs_hf.tokenization import word_level_tokenizer
torch.manual_seed(0)
vocab = CRSVocabulary.from_dataset("redial", RAW)
graph = load_graph("redial", "entity_kg", data_dir=RAW)
turns = split_by_dialog(crs_hf.load_dataset("redial", "turns", data_dir=RAW)["validation"])["train"]
model_type, stage = MODEL.split(":")
sizes = dict(n_entity=graph.num_nodes, item_ids=vocab.item_entity_ids)
if model_type != "crs_redial":
    sizes.update(n_relation=graph.num_relations)
if model_type == "crs_kgsf":
    sizes["n_word"] = vocab.n_word
if stage == "conv":
    token2id = crs_hf.load_dataset("redial", "token2id", data_dir=RAW)["train"]
    token_ids = dict(zip(token2id["name"], token2id["id"]))
    redial = model_type == "crs_redial"
    if redial:
        token_ids["__item__"] = max(token_ids.values()) + 1
    tokenizer = word_level_tokenizer(token_ids)
    examples = list(conversation_examples(turns, vocab, ContextEncoding(tokenizer, hierarchical=redial, max_utterances=40),
                                          item_token="__item__" if redial else None))
    collate, batch_size = CRSCollator(pad_token_id=tokenizer.pad_token_id), 32
    sizes["vocab_size"] = len(tokenizer)
    if redial:
        sizes["item_token_id"] = token_ids["__item__"]
    model_class = {"crs_kbrd": KBRDForConversation, "crs_kgsf": KGSFForConversation,
                   "crs_redial": ReDialForConversation}[model_type]
else:
    examples = list(recommendation_examples(turns, vocab))
    collate, batch_size = CRSCollator(), 64
    model_class = {"crs_kbrd": KBRDForRecommendation, "crs_kgsf": KGSFForRecommendation,
                   "crs_redial": ReDialForRecommendation}[model_type]
model = model_class(AutoConfig.for_model(model_type, **sizes))
if hasattr(model, "set_entity_graph"):
    model.set_entity_graph(graph.edge_index, graph.edge_type)
if hasattr(model, "set_word_graph"):
    try:
        model.set_word_graph(load_graph("redial", "word_kg", data_dir=RAW).edge_index)
    except crs_hf.CRSDataError:  # ../shared has no conceptnet_subkg.txt: a synthetic word graph of ConceptNet's size
        generator = torch.Generator().manual_seed(0)
        model.set_word_graph(torch.randint(1, vocab.n_word, (2, 120_000), generator=generator))
if hasattr(model, "set_copy_mask"):
    model.set_copy_mask(copyable_tokens(tokenizer, vocab))
keep = set(__import__("inspect").signature(model.forward).parameters)
batches = [{k: v for k, v in collate(examples[i:i + batch_size]).items() if k in keep}
           for i in range(0, len(examples), batch_size)]
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
model.train()
loss = model(**batches[0]).loss; loss.backward(); optimizer.step(); optimizer.zero_grad()  # warm-up step
"""

TRAIN = """
for step in range(STEPS):
    loss = model(**batches[step % len(batches)]).loss
    loss.backward(); optimizer.step(); optimizer.zero_grad()
rows = len(batches)
"""

GENERATE = """
model.eval()
with torch.no_grad():
    for batch in batches[:1]:
        for i in range(STEPS):
            model.generate(**{k: v[i:i + 1] for k, v in batch.items() if k != "labels"},
                           max_new_tokens=20, min_new_tokens=20, do_sample=False)
rows = len(batches)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "crs_data" / "redial" / "crslab_nltk"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    raw = str(Path(args.data_dir).resolve())
    if not Path(raw, "valid_data.json").is_file():
        raise SystemExit(f"no CRSLab ReDial valid split in {raw}")
    phases = [
        ("KBRD rec step (batch 64)", "crs_kbrd:rec", TRAIN),
        ("KGSF rec step (batch 64, infomax term)", "crs_kgsf:rec", TRAIN),
        ("ReDial AutoRec rec step (batch 64)", "crs_redial:rec", TRAIN),
        ("KBRD conv step (batch 32)", "crs_kbrd:conv", TRAIN),
        ("KGSF conv step (batch 32, copy)", "crs_kgsf:conv", TRAIN),
        ("ReDial HRED conv step (batch 32)", "crs_redial:conv", TRAIN),
        ("KBRD conv generation, one turn, 20 tokens", "crs_kbrd:conv", GENERATE),
        ("KGSF conv generation, one turn, 20 tokens", "crs_kgsf:conv", GENERATE),
        ("ReDial conv generation, one turn, 20 tokens", "crs_redial:conv", GENERATE),
    ]
    table = []
    for name, model, body in phases:
        result = run_in_fresh_process(body, {"RAW": raw, "MODEL": model, "STEPS": args.steps}, PRELUDE)
        per_step = result["seconds"] / args.steps
        epoch = "" if body is GENERATE else f"{per_step * result['rows']:.0f} ({result['rows']} steps)"
        table.append((name, f"{per_step:.3f}", epoch, f"{result['peak_rss_mib']:.0f}"))
    text = append_table(
        "KBRD / KGSF / ReDial on real ReDial (CRSLab valid split, 80% train)",
        f"Real DBpedia KG (316,884 edges, 35 relations), KGSF word graph synthetic where the release lacks it; "
        f"CRSLab's default sizes; {args.steps} timed steps after one warm-up step; seconds per step (per generated "
        "turn for generation).",
        ["phase", "seconds per step", "epoch seconds", "peak RSS MiB"], table, args.results,
    )
    print(text)


if __name__ == "__main__":
    main()
