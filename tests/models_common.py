"""Checks every crs_hf model passes (as transformers' tests/test_modeling_common.py): save/load round trip,
Auto classes, loss decreasing on a fixed batch, and `generate()` with and without the KV cache.

A test class mixes `ModelTesterMixin` in and sets `model_tester` to an object with
`get_config()`, `create_model(model_class)` (a seeded model with its graphs loaded) and `inputs(model_class)`
(the forward kwargs, gold labels included), plus `all_model_classes`, `base_model_class`,
`conversation_class` (the `AutoModelForSeq2SeqLM` head) and `generation_inputs()`.

`check_loads_by_trust_remote_code_without_crs_hf` is for the models whose files are self-contained.
"""

import os
import subprocess
import sys
import sysconfig
from dataclasses import fields
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModel, AutoModelForSeq2SeqLM

import crs_hf  # noqa: F401  registers the models


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


# Run by `python -I -S -c`: no PYTHONPATH, no cwd, no .pth files (an editable install of crs_hf is one); then
# site-packages, with crs_hf hidden even where it is installed there (CI installs the wheel): a user without crs_hf.
REMOTE_CODE_SCRIPT = """
import importlib.abc, sys


class HideCRSHF(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "crs_hf" or name.startswith("crs_hf."):
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)")
        return None


sys.meta_path.insert(0, HideCRSHF())
sys.path.append({purelib!r})
try:
    import crs_hf
    sys.exit("crs_hf is importable, the test proves nothing")
except ModuleNotFoundError:
    pass
import torch
import transformers
model = getattr(transformers, {auto_class!r}).from_pretrained({model_dir!r}, trust_remote_code=True).eval()
case = torch.load({case!r})
with torch.no_grad():
    got = getattr(model(**case["inputs"]), {output!r})
assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
assert type(model).__name__ == {class_name!r}, type(model).__name__
assert torch.equal(got, case["expected"]), (got - case["expected"]).abs().max()
if case["generated"] is not None:
    inputs = {{k: v for k, v in case["inputs"].items() if k != "labels"}}
    generated = model.generate(**inputs, do_sample=False, max_new_tokens=3)
    assert torch.equal(generated, case["generated"]), (generated, case["generated"])
print("ok")
"""


def check_loads_by_trust_remote_code_without_crs_hf(
    tmp_path: Path, model, inputs: dict, auto_class: str = "AutoModelForSeq2SeqLM", output: str = "logits"
) -> None:
    """Saves `model` after `register_for_auto_class(auto_class)` and loads it with `trust_remote_code=True` in a
    fresh interpreter that cannot import crs_hf: its `output` on `inputs` (and, for a head that generates, greedy
    `generate()` without the labels) must equal the in-process model's."""
    model_class, config_class = type(model), type(model.config)
    with torch.no_grad():
        expected = getattr(model(**inputs), output)
    generated = None
    if model.can_generate():
        generated = model.generate(**{k: v for k, v in inputs.items() if k != "labels"}, do_sample=False,
                                   max_new_tokens=3)
    try:
        config_class.register_for_auto_class()
        model_class.register_for_auto_class(auto_class)
        model.save_pretrained(tmp_path / "model")
    finally:  # class attributes: do not leak into the other tests' saves
        config_class._auto_class = model_class._auto_class = None
    files = {sys.modules[cls.__module__].__file__ for cls in (model_class, config_class)}
    assert {os.path.basename(file) for file in files} <= set(os.listdir(tmp_path / "model"))
    torch.save({"inputs": inputs, "expected": expected, "generated": generated}, tmp_path / "case.pt")
    code = REMOTE_CODE_SCRIPT.format(
        purelib=sysconfig.get_paths()["purelib"], auto_class=auto_class, model_dir=str(tmp_path / "model"),
        case=str(tmp_path / "case.pt"), output=output, class_name=model_class.__name__,
    )
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], check=False, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok", result.stdout


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
