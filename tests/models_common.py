"""Checks every crs_hf model passes (as transformers' tests/test_modeling_common.py): save/load round trip,
Auto classes, loss decreasing on a fixed batch, and `generate()` with and without the KV cache.

A test class mixes `ModelTesterMixin` in and sets `model_tester` to an object with
`get_config()`, `create_model(model_class)` (a seeded model with its graphs loaded) and `inputs(model_class)`
(the forward kwargs, gold labels included), plus `all_model_classes`, `base_model_class`,
`conversation_class` (the `AutoModelForSeq2SeqLM` head) and `generation_inputs()`.

`check_reloads_in_fresh_process` and `load_without_crs_hf` check how a saved checkpoint loads in a fresh interpreter,
with and without crs_hf (`tests/test_model_loading.py` groups every head in one interpreter each, to stay fast).
"""

import json
import math
import os
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModel, AutoModelForSeq2SeqLM, PreTrainedModel

import crs_hf  # noqa: F401  registers the models
from crs_hf.models import get_model_spec


def random_graph(num_nodes: int, num_edges: int, num_relations: int, generator: torch.Generator):
    """A random KG without the padding node 0: `(edge_index, edge_type)`."""
    edge_index = torch.randint(1, num_nodes, (2, num_edges), generator=generator)
    edge_type = torch.randint(0, num_relations, (num_edges,), generator=generator)
    return edge_index, edge_type


def padded_ids(batch: int, length: int, low: int, high: int, generator: torch.Generator, pad: int = 0):
    """Random ids in [low, high) with a random number (1..length) of them per row, right-padded with `pad`."""
    ids = torch.randint(low, high, (batch, length), generator=generator)
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    return ids.masked_fill(torch.arange(length) >= lengths[:, None], pad)


def tensor_fields(output) -> dict[str, torch.Tensor]:
    return {f.name: getattr(output, f.name) for f in fields(output) if torch.is_tensor(getattr(output, f.name))}


@dataclass
class ReloadCase:
    """A head to save and load back elsewhere: its `output` field on `inputs` (and, for a head that generates,
    greedy `generate()` on `inputs` without the labels) must come back identical."""

    model: PreTrainedModel
    inputs: dict
    output: str


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def save_reload_cases(tmp_path: Path, cases: Sequence[ReloadCase]) -> list[dict]:
    """Saves each case's model under `tmp_path` and records what a reload must give. Each record names the
    checkpoint folder, the head's class, the class that loads the head (its `CRSHead.auto_class`, else the head
    class itself), the base model class `AutoModel` must give, and the expected tensors."""
    records = []
    for index, case in enumerate(cases):
        model = case.model.eval()
        spec = get_model_spec(model.config.model_type)
        head = next(head for head in spec.heads if head.model_class is type(model))
        with torch.no_grad():
            expected = getattr(model(**case.inputs), case.output)
        generated = None
        if model.can_generate():
            generated = model.generate(**{k: v for k, v in case.inputs.items() if k != "labels"}, do_sample=False,
                                       max_new_tokens=3)
        directory = tmp_path / f"{index}-{type(model).__name__}"
        model.save_pretrained(directory)
        records.append({
            "dir": str(directory), "model_type": model.config.model_type, "head": _class_path(type(model)),
            "loader": _class_path(head.auto_class or head.model_class), "base": _class_path(spec.base_model_class),
            "inputs": case.inputs, "output": case.output, "expected": expected, "generated": generated,
        })
    return records


def _run_python(tmp_path: Path, code: str, *args: str, isolated: bool = False) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter (cwd `tmp_path`, private HF_HOME, offline, no terminal on stdin);
    `isolated`: `-I -S`, no PYTHONPATH, no cwd, no .pth files (an editable install of crs_hf is one)."""
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    flags = ["-I", "-S"] if isolated else []
    return subprocess.run([sys.executable, *flags, "-c", code, *args], check=False, cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)


# Run with crs_hf importable. The first load runs before `import crs_hf`: `trust_remote_code=True` then runs the
# checkpoint's loader module, which imports crs_hf; after that, every load must give crs_hf's own classes.
RELOAD_SCRIPT = """
import importlib, sys
import torch
from transformers import AutoConfig, AutoModel


def resolve(path):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


cases = torch.load(sys.argv[1], weights_only=False)
assert "crs_hf" not in sys.modules
config = AutoConfig.from_pretrained(cases[0]["dir"], trust_remote_code=True)
assert type(config).__module__.startswith("crs_hf.models."), type(config).__module__
import crs_hf
for case in cases:
    for options in ({}, {"trust_remote_code": True}):
        where = (case["dir"], options)
        assert path(type(AutoModel.from_pretrained(case["dir"], **options))) == case["base"], where
        model = resolve(case["loader"]).from_pretrained(case["dir"], **options).eval()
        assert path(type(model)) == case["head"], (where, path(type(model)))
        with torch.no_grad():
            got = getattr(model(**case["inputs"]), case["output"])
        assert torch.equal(got, case["expected"]), (where, (got - case["expected"]).abs().max())
        if case["generated"] is not None:
            inputs = {k: v for k, v in case["inputs"].items() if k != "labels"}
            generated = model.generate(**inputs, do_sample=False, max_new_tokens=3)
            assert torch.equal(generated, case["generated"]), (where, generated, case["generated"])
print("ok")
"""


def check_reloads_in_fresh_process(tmp_path: Path, cases: Sequence[ReloadCase]) -> list[dict]:
    """Saves every case and loads it back in one fresh `python` with crs_hf importable, through `AutoModel` (the
    base model class) and through the head's task Auto class (the head class's own `from_pretrained` for heads
    without one), with and without `trust_remote_code=True`: the outputs (and greedy generation) must be
    identical. Returns the saved records, for more checks on the same checkpoints."""
    records = save_reload_cases(tmp_path, cases)
    torch.save(records, tmp_path / "cases.pt")
    result = _run_python(tmp_path, RELOAD_SCRIPT, str(tmp_path / "cases.pt"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok", result.stdout
    return records


# Run by `python -I -S -c`, then site-packages, with crs_hf hidden even where it is installed there (CI installs
# the wheel): a user without crs_hf. Records what each load raises (a prompt for trust_remote_code goes to stdout).
NO_CRS_HF_SCRIPT = """
import importlib.abc, json, sys


class HideCRSHF(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "crs_hf" or name.startswith("crs_hf."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HideCRSHF())
sys.path.append(sys.argv[1])
try:
    import crs_hf
    sys.exit("crs_hf is importable, the test proves nothing")
except ModuleNotFoundError:
    pass
import transformers

results = []
for case in json.load(open(sys.argv[2])):
    for auto_class in case["auto_classes"]:
        for trust_remote_code in (None, True):
            try:
                getattr(transformers, auto_class).from_pretrained(case["dir"], trust_remote_code=trust_remote_code)
                error = None
            except Exception as exception:
                error = [type(exception).__name__, str(exception)]
            results.append({**case, "auto_class": auto_class, "trust_remote_code": trust_remote_code, "error": error})
json.dump(results, open(sys.argv[3], "w"))
"""


def load_without_crs_hf(tmp_path: Path, records: Sequence[dict]) -> list[dict]:
    """Loads each saved checkpoint with `AutoConfig`, `AutoModel` and the head's task Auto class, without and with
    `trust_remote_code=True`, in one fresh interpreter that cannot import crs_hf; returns one record per load
    with the `error` it raised (`[type name, message]`, or None)."""
    cases = []
    for record in records:
        auto_classes = ["AutoConfig", "AutoModel"]
        if record["loader"].startswith("transformers."):
            auto_classes.append(record["loader"].rpartition(":")[2])
        cases.append({"dir": record["dir"], "model_type": record["model_type"], "auto_classes": auto_classes})
    (tmp_path / "no_crs_hf_cases.json").write_text(json.dumps(cases))
    result = _run_python(tmp_path, NO_CRS_HF_SCRIPT, sysconfig.get_paths()["purelib"],
                         str(tmp_path / "no_crs_hf_cases.json"), str(tmp_path / "no_crs_hf_results.json"),
                         isolated=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((tmp_path / "no_crs_hf_results.json").read_text())


class ModelTesterMixin:
    model_tester = None

    def test_save_load_round_trip_gives_identical_outputs(self, tmp_path):
        tester = self.model_tester
        for model_class in tester.all_model_classes:
            model = tester.create_model(model_class)
            model.save_pretrained(tmp_path / model_class.__name__)
            loaded = model_class.from_pretrained(tmp_path / model_class.__name__).eval()
            inputs = tester.inputs(model_class)
            with torch.no_grad():
                expected, got = tensor_fields(model(**inputs)), tensor_fields(loaded(**inputs))
            assert expected.keys() == got.keys()
            for name in expected:
                assert torch.equal(expected[name], got[name]), f"{model_class.__name__}.{name} changed"

    def test_auto_classes_resolve(self, tmp_path):
        tester = self.model_tester
        config = tester.get_config()
        assert type(AutoConfig.for_model(config.model_type)) is type(config)
        assert type(AutoModel.from_config(config)) is tester.base_model_class
        assert type(AutoModelForSeq2SeqLM.from_config(config)) is tester.conversation_class
        tester.create_model(tester.conversation_class).save_pretrained(tmp_path)
        assert type(AutoConfig.from_pretrained(tmp_path)) is type(config)
        assert type(AutoModelForSeq2SeqLM.from_pretrained(tmp_path)) is tester.conversation_class

    def test_loss_decreases_on_a_fixed_batch(self):
        tester = self.model_tester
        for model_class in tester.all_model_classes:
            if model_class is tester.base_model_class:
                continue
            model = tester.create_model(model_class).train()
            inputs = tester.inputs(model_class)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
            losses = []
            for _ in range(6):
                loss = model(**inputs).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                losses.append(loss.item())
            assert losses[-1] < 0.9 * losses[0], f"{model_class.__name__}: {losses}"

    def test_generate_greedy_and_beam_with_cache_equal_without(self):
        tester = self.model_tester
        model = tester.create_model(tester.conversation_class)
        inputs = tester.generation_inputs()
        batch = next(iter(inputs.values())).shape[0]
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False}):
            lengths = {"min_new_tokens": 6, "max_new_tokens": 6}  # six cached steps, whatever the random model says
            with_cache = model.generate(**inputs, **options, **lengths, use_cache=True)
            without = model.generate(**inputs, **options, **lengths, use_cache=False)
            assert with_cache.shape == (batch, 7)
            assert (with_cache[:, 0] == model.config.decoder_start_token_id).all()
            assert torch.equal(with_cache, without), options
        torch.manual_seed(0)
        sampled = model.generate(**inputs, do_sample=True, top_k=5, min_new_tokens=6, max_new_tokens=6)
        assert sampled.shape == (batch, 7)


# CRSLab's formulas written out with dense tensors and loops, for the parity tests (tests/test_parity_*.py): each
# reads a model's state dict and never calls crs_hf code.


def crslab_rgcn(state: dict, prefix: str, n_entity: int) -> torch.Tensor:
    """torch_geometric's `RGCNConv(n_entity, dim, n_relation, num_bases)` called with `x=None`, as CRSLab's KBRD and
    KGSF run it: `h = root + bias + sum_r D_r^-1 A_r W_r` with `W_r = sum_b comp[r, b] basis_b` and `A_r[i, j]`
    the number of edges j -> i of relation r (`D_r` its row sums: a mean over each relation's neighbours)."""
    weight, comp = state[f"{prefix}.conv.weight"], state[f"{prefix}.conv.comp"]
    out = state[f"{prefix}.conv.root"] + state[f"{prefix}.conv.bias"]
    edges = list(zip(state[f"{prefix}.edge_index"].t().tolist(), state[f"{prefix}.edge_type"].tolist()))
    for relation in range(comp.shape[0]):
        adjacency = torch.zeros(n_entity, n_entity)
        for (source, target), edge_type in edges:
            if edge_type == relation:
                adjacency[target, source] += 1
        relation_weight = sum(comp[relation, basis] * weight[basis] for basis in range(weight.shape[0]))
        out = out + (adjacency / adjacency.sum(1, keepdim=True).clamp(min=1)) @ relation_weight
    return out


def crslab_gcn(state: dict, prefix: str, n_word: int) -> torch.Tensor:
    """torch_geometric's `GCNConv(dim, dim)` over the word embeddings, as CRSLab's KGSF runs it:
    `D^-1/2 (A + I) D^-1/2 X W^T + b`, `A[i, j]` the number of edges j -> i other than self-loops (GCNConv
    replaces those by one self-loop per node), `D` the row sums of `A + I`."""
    adjacency = torch.eye(n_word)
    for source, target in state[f"{prefix}.edge_index"].t().tolist():
        if source != target:
            adjacency[target, source] += 1
    inverse_sqrt = adjacency.sum(1).pow(-0.5)
    features = state[f"{prefix}.word_embeddings.weight"] @ state[f"{prefix}.conv.lin.weight"].t()
    return (inverse_sqrt[:, None] * adjacency * inverse_sqrt[None, :]) @ features + state[f"{prefix}.conv.bias"]


def crslab_self_attention(vectors: torch.Tensor, ids: torch.Tensor, pad_id: int, a: torch.Tensor,
                          b: torch.Tensor) -> torch.Tensor:
    """CRSLab's `SelfAttentionBatch` run per context, as KBRD's `encode_user` does: over the context's vectors `h`,
    `softmax(tanh(h a) b) h`; a context without ids gets the zero vector (KBRD's `None` user)."""
    users = []
    for row in ids.tolist():
        valid = [i for i in row if i != pad_id]
        if not valid:
            users.append(torch.zeros(vectors.shape[1]))
            continue
        h = vectors[valid]
        users.append(torch.softmax(torch.tanh(h @ a) @ b, dim=0) @ h)
    return torch.stack(users)


def crslab_get_onehot(ids: torch.Tensor, pad_id: int, size: int) -> torch.Tensor:
    """CRSLab's `get_onehot` over the unpadded id lists: each of a row's n ids weighs 1/n."""
    onehot = torch.zeros(ids.shape[0], size)
    for index, row in enumerate(ids.tolist()):
        labels = [i for i in row if i != pad_id]
        for label in labels:
            onehot[index, label] = 1.0 / len(labels)
    return onehot


def crslab_cross_entropy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """`nn.CrossEntropyLoss()`: the mean over rows of `logsumexp(scores) - scores[label]`."""
    return (scores.logsumexp(dim=1) - scores[torch.arange(len(labels)), labels]).mean()


# ParlAI's transformer blocks (CRSLab's `crslab/model/utils/modules/transformer.py`) written out on a state dict,
# for the parity tests of the transformer-based conversation heads.


def parlai_position_codes(n_positions: int, dim: int) -> torch.Tensor:
    """ParlAI's `create_position_codes`: column j of position p holds p / 10000^(2 (j // 2) / dim), sin in even
    columns, cos in odd ones."""
    angles = torch.tensor([[p / 10000 ** (2 * (j // 2) / dim) for j in range(dim)] for p in range(n_positions)])
    codes = torch.cos(angles)
    codes[:, 0::2] = torch.sin(angles[:, 0::2])
    return codes


def parlai_linear(state: dict, prefix: str, x: torch.Tensor) -> torch.Tensor:
    return x @ state[f"{prefix}.weight"].t() + state[f"{prefix}.bias"]


def parlai_layer_norm(state: dict, prefix: str, x: torch.Tensor) -> torch.Tensor:
    mean, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * state[f"{prefix}.weight"] + state[f"{prefix}.bias"]


def parlai_attention(state: dict, prefix: str, query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor,
                     n_heads: int) -> torch.Tensor:
    """ParlAI's `MultiHeadAttention` (key = value): per head `softmax(q k^T / sqrt(d_head))` over the keys `mask`
    allows, times v; heads concatenated, then `out_lin`. `query` `(batch, q, dim)`, `key` `(batch, k, dim)`, `mask`
    `(batch, q, k)` bool."""
    (batch, q_len, dim), d_head = query.shape, query.shape[-1] // n_heads

    def heads(x):
        return x.view(batch, x.shape[1], n_heads, d_head).transpose(1, 2)

    q = heads(parlai_linear(state, f"{prefix}.q_lin", query)) / math.sqrt(d_head)
    k, v = heads(parlai_linear(state, f"{prefix}.k_lin", key)), heads(parlai_linear(state, f"{prefix}.v_lin", key))
    scores = (q @ k.transpose(-1, -2)).masked_fill(~mask[:, None], float("-inf"))
    attended = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, q_len, dim)
    return parlai_linear(state, f"{prefix}.out_lin", attended)


def parlai_ffn(state: dict, prefix: str, x: torch.Tensor) -> torch.Tensor:
    """`TransformerFFN`: `lin2(relu(lin1(x)))`."""
    return parlai_linear(state, f"{prefix}.lin2", torch.relu(parlai_linear(state, f"{prefix}.lin1", x)))


def check_conv_run(output_dir: Path, label: tuple) -> None:
    """A two-step conversation run through train_crs: it took its steps with finite losses and wrote generation
    metrics in range and a finite perplexity to `test_results.json`."""
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 2, label
    assert all(math.isfinite(e["train_loss"]) for e in state["log_history"] if "train_loss" in e)
    saved = json.loads((output_dir / "test_results.json").read_text())
    for key in ("bleu@1", "bleu@2", "bleu@3", "bleu@4", "dist@1", "dist@2", "dist@3", "dist@4", "f1"):
        assert 0.0 <= saved[f"test_{key}"] <= 1.0, (*label, key, saved[f"test_{key}"])
    assert 1.0 < saved["test_perplexity"] < float("inf")
