"""Benchmark: DuRecDial 2.0 seq2seq training throughput and generation latency on CPU, tiny vs mid-size MBart.

    python benchmarks/bench_seq2seq.py [--steps 20] [--turns 20]

Training: tokens (source + target, padding excluded) per second over `--steps` optimizer steps of batch 16 on the
`en-zh` task of the embedded sample. Generation: greedy decoding of up to 32 tokens for one turn at a time (the chat
case), median latency over `--turns` turns, with the KV cache. Both models use a tokenizer trained on the sample.
Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

import datasets
import torch
from transformers import MBartConfig, MBartForConditionalGeneration

import crs_hf
from crs_hf.data.seq2seq import LanguageCodes, Seq2SeqCollator, encode_example, format_source
from crs_hf.tokenization import train_mbart_tokenizer

from common import RESULTS, append_table  # noqa: E402  (benchmarks/common.py)

SIZES = {
    "tiny (d=64, 2+2 layers)": dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                                    decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128),
    "mid (d=512, 6+6 layers)": dict(d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
                                    decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    datasets.disable_progress_bars()
    torch.manual_seed(0)
    data = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=crs_hf.data.sample_data_dir("durecdial2"))
    train, test = data["train"], data["test"]
    tokenizer = train_mbart_tokenizer([format_source(r) for r in train] + list(train["response"]), 1500)
    rows = []
    for name, sizes in SIZES.items():
        config = MBartConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                             bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                             decoder_start_token_id=tokenizer.eos_token_id, max_position_embeddings=512, **sizes)
        model = MBartForConditionalGeneration(config)
        codes = LanguageCodes.for_model(tokenizer, config.decoder_start_token_id)
        examples = [encode_example(r, tokenizer, codes, 256, 64) for r in train]
        collate = Seq2SeqCollator(tokenizer.pad_token_id)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        model.train()
        tokens, start = 0, time.perf_counter()
        for step in range(args.steps):
            batch = collate([examples[(step * 16 + i) % len(examples)] for i in range(16)])
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            tokens += int(batch["attention_mask"].sum() + (batch["labels"] != -100).sum())
        train_seconds = time.perf_counter() - start

        model.eval()
        latencies = []
        for record in list(test)[: args.turns]:
            example = encode_example(record, tokenizer, codes, 256, 64)
            prefix = torch.tensor([codes.decoder_prefix(record["target_lang"])])
            begin = time.perf_counter()
            with torch.no_grad():
                model.generate(torch.tensor([example["input_ids"]]), decoder_input_ids=prefix, max_new_tokens=32,
                               min_new_tokens=32, do_sample=False)
            latencies.append(time.perf_counter() - begin)
        parameters = sum(p.numel() for p in model.parameters())
        rows.append((name, parameters, tokens / train_seconds, statistics.median(latencies)))

    text = append_table(
        "DuRecDial 2.0 seq2seq on CPU",
        f"Sample `en-zh` task, tokenizer of {len(tokenizer):,} pieces; training batch 16 over {args.steps} steps; "
        f"generation: greedy, 32 new tokens, one turn at a time, median of {args.turns} turns.",
        ["model", "parameters", "training tokens/s", "generation latency per turn (s)", "ms per generated token"],
        [(name, f"{params / 1e6:.1f}M", f"{throughput:,.0f}", f"{latency:.3f}", f"{1000 * latency / 32:.1f}")
         for name, params, throughput, latency in rows],
        args.results,
    )
    print(text)

if __name__ == "__main__":
    main()
