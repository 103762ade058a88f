"""Streaming accumulation that is exact under any batching and across processes.

A metric keeps only additive state: running sums (floats; e.g. the sum of hit@10 over samples and the number of
samples) and sets (e.g. the distinct n-grams seen). `compute()` divides sums at the end, so the result never is a
mean of batch means, and `merge()` / `sync()` add sums and unite sets, so N processes that each saw part of the
data compute the same number as one process that saw all of it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch.distributed as dist

__all__ = ["StreamingMetric"]


class StreamingMetric:
    """Base class: subclasses call `_add(name, value)` / `_union(name, items)` in `add_batch` and read `self.sums` /
    `self.sets` in `compute`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sums: defaultdict[str, float] = defaultdict(float)
        self.sets: defaultdict[str, set] = defaultdict(set)

    def _add(self, name: str, value: float) -> None:
        self.sums[name] += float(value)

    def _union(self, name: str, items) -> None:
        self.sets[name].update(items)

    def state(self) -> dict[str, Any]:
        return {"sums": dict(self.sums), "sets": {k: set(v) for k, v in self.sets.items()}}

    def merge(self, other: StreamingMetric | dict[str, Any]) -> StreamingMetric:
        """Adds another accumulator's state (same metric, other data) into this one; returns self."""
        state = other.state() if isinstance(other, StreamingMetric) else other
        for name, value in state["sums"].items():
            self.sums[name] += value
        for name, items in state["sets"].items():
            self.sets[name].update(items)
        return self

    def sync(self) -> StreamingMetric:
        """In a `torch.distributed` run, merges every process's state into every process; a no-op otherwise."""
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            states: list[dict[str, Any]] = [None] * dist.get_world_size()  # type: ignore[list-item]
            dist.all_gather_object(states, self.state())
            self.reset()
            for state in states:
                self.merge(state)
        return self
