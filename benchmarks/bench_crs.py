"""Benchmark: KBRD / KGSF training-step and epoch time, peak memory and KBRD generation latency on real ReDial data.

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
from crs_hf.data.crs_inputs import (CRSVocabulary, RecommendationCollator, ConversationCollator,
                                    recommendation_examples, conversation_examples)
from crs_hf.data.splits import split_by_dialog
from crs_hf.models import KBRDForRecommendation, KGSFForRecommendation, KBRDForConversation
from crs_hf.tokenization import word_level_tokenizer
torch.manual_seed(0)
vocab = CRSVocabulary.from_dataset("redial", RAW)
graph = load_graph("redial", "entity_kg", data_dir=RAW)
turns = split_by_dialog(crs_hf.load_dataset("redial", "turns", data_dir=RAW)["validation"])["train"]
if MODEL == "crs_kbrd_conv":
    token2id = crs_hf.load_dataset("redial", "token2id", data_dir=RAW)["train"]
    tokenizer = word_level_tokenizer(dict(zip(token2id["name"], token2id["id"])))
    examples = list(conversation_examples(turns, vocab, tokenizer))
    collate, batch_size = ConversationCollator(tokenizer.pad_token_id), 32
    model = KBRDForConversation(AutoConfig.for_model("crs_kbrd", n_entity=graph.num_nodes,
        n_relation=graph.num_relations, vocab_size=len(tokenizer), item_ids=vocab.item_entity_ids))
else:
    examples = list(recommendation_examples(turns, vocab))
    collate, batch_size = RecommendationCollator(), 64
    sizes = dict(n_entity=graph.num_nodes, n_relation=graph.num_relations, item_ids=vocab.item_entity_ids)
    if MODEL == "crs_kgsf":
        sizes["n_word"] = vocab.n_word
    model = (KGSFForRecommendation if MODEL == "crs_kgsf" else KBRDForRecommendation)(
        AutoConfig.for_model(MODEL, **sizes))
model.set_entity_graph(graph.edge_index, graph.edge_type)
if hasattr(model, "set_word_graph"):
    try:
        model.set_word_graph(load_graph("redial", "word_kg", data_dir=RAW).edge_index)
    except crs_hf.CRSDataError:  # ../shared has no conceptnet_subkg.txt: a synthetic word graph of ConceptNet's size
        generator = torch.Generator().manual_seed(0)
        model.set_word_graph(torch.randint(1, vocab.n_word, (2, 120_000), generator=generator))
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
            model.generate(input_ids=batch["input_ids"][i:i + 1], context_entities=batch["context_entities"][i:i + 1],
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
        ("KBRD rec step (batch 64)", "crs_kbrd", TRAIN),
        ("KGSF rec step (batch 64, infomax term)", "crs_kgsf", TRAIN),
        ("KBRD conv step (batch 32)", "crs_kbrd_conv", TRAIN),
        ("KBRD conv generation, one turn, 20 tokens", "crs_kbrd_conv", GENERATE),
    ]
    table = []
    for name, model, body in phases:
        result = run_in_fresh_process(body, {"RAW": raw, "MODEL": model, "STEPS": args.steps}, PRELUDE)
        per_step = result["seconds"] / args.steps
        epoch = "" if body is GENERATE else f"{per_step * result['rows']:.0f} ({result['rows']} steps)"
        table.append((name, f"{per_step:.3f}", epoch, f"{result['peak_rss_mib']:.0f}"))
    text = append_table(
        "KBRD / KGSF on real ReDial (CRSLab valid split, 80% train)",
        f"Real DBpedia KG (316,884 edges, 35 relations), KGSF word graph synthetic where the release lacks it; "
        f"CRSLab's default sizes; {args.steps} timed steps after one warm-up step; seconds per step (per generated "
        "turn for generation).",
        ["phase", "seconds per step", "epoch seconds", "peak RSS MiB"], table, args.results,
    )
    print(text)


if __name__ == "__main__":
    main()
