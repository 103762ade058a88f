"""Benchmark: does CRSLab's Transformer decoder learn to read its previous token under a given schedule?

    python benchmarks/bench_unigram_stage.py [--steps 400] [--model crs_transformer]

Why: trained with CRSLab's settings (Adam at 1e-3 from the first step), the word-level Transformer decoders (KBRD,
KGSF, NTRD, Transformer) answered every real ReDial test turn with an empty response after hundreds of steps, their
loss at the unigram entropy. The shared decoder ties its output layer to the scaled input embeddings, so at
initialisation it predicts its own input token (logit ~ sqrt(token_emb_dim)); a full-size first step then collapses it
onto the token frequencies. This script isolates that from the data: the response is a run of consecutive token ids
(`y[t] = y[t-1] + 1`) after a random context, learnable only by reading the previous token; a model that cannot does
no better than ln(vocabulary) nats. Each schedule trains the model at CRSLab's sizes (its config's defaults) from the
same seed and batches; the table gives the training loss at a few steps and the share of next tokens predicted right
at the end. Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math

import torch
from common import RESULTS, append_table  # noqa: E402  (benchmarks/common.py)
from transformers import AutoConfig

from crs_hf.models import get_model_spec

VOCAB, CONTEXT, RESPONSE, BATCH = 200, 30, 20, 32
SCHEDULES = {  # name -> (learning rate, warm-up steps, config overrides)
    "CRSLab: Adam 1e-3 from step 0": (1e-3, 0, {}),
    "Adam 1e-3, linear warm-up over 200 steps": (1e-3, 200, {}),
    "Adam 1e-4 from step 0": (1e-4, 0, {}),
    "Adam 1e-3 from step 0, embeddings_scale=False": (1e-3, 0, {"embeddings_scale": False}),
}


def batch(generator: torch.Generator) -> dict[str, torch.Tensor]:
    start = torch.randint(3, VOCAB, (BATCH, 1), generator=generator)
    labels = (start - 3 + torch.arange(RESPONSE)) % (VOCAB - 3) + 3  # ids 3.. (0-2: pad, start, end)
    context = torch.randint(3, VOCAB, (BATCH, CONTEXT), generator=generator)
    return {"input_ids": context, "attention_mask": torch.ones_like(context), "labels": labels}


def train(model_type: str, lr: float, warmup: int, overrides: dict, steps: int, report: list[int]) -> list[float]:
    torch.manual_seed(0)
    config = AutoConfig.for_model(model_type, vocab_size=VOCAB, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                  decoder_start_token_id=1, **overrides)
    model = get_model_spec(model_type).head("conv").model_class(config).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / max(warmup, 1)))
    generator, losses = torch.Generator().manual_seed(0), []
    for step in range(1, steps + 1):
        loss = model(**batch(generator)).loss
        loss.backward()
        optimizer.step(), optimizer.zero_grad(), schedule.step()
        if step in report:
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        held_out = batch(torch.Generator().manual_seed(1))
        predicted = model(**held_out).logits.argmax(-1)
    return [*losses, (predicted[:, 1:] == held_out["labels"][:, 1:]).float().mean().item()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="crs_transformer", help="a model with a word-level Transformer decoder")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = [s for s in (50, 100, 200, args.steps) if s <= args.steps]
    rows = []
    for name, (lr, warmup, overrides) in SCHEDULES.items():
        *losses, accuracy = train(args.model, lr, warmup, overrides, args.steps, report)
        rows.append([name, *(f"{loss:.3f}" for loss in losses), f"{accuracy:.1%}"])
        print(rows[-1], flush=True)
    text = append_table(
        f"The unigram stage: {args.model} on a next-token task, CRSLab's sizes",
        f"Response = consecutive token ids after a random {CONTEXT}-token context, vocabulary {VOCAB} "
        f"(chance: ln {VOCAB - 3} = {math.log(VOCAB - 3):.2f} nats), batch {BATCH}, seed 0, one thread. "
        "Training loss at the given step; accuracy: next tokens (after the first) predicted right on a held-out batch.",
        ["schedule", *(f"loss @ {s}" for s in report), "next-token accuracy"], rows, args.results)
    print(text)


if __name__ == "__main__":
    main()
