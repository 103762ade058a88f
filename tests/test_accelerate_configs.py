"""Every accelerate config in examples/ is one accelerate itself reads, with the distributed type its name says."""

from pathlib import Path

import pytest
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.utils import DistributedType
from conftest import REPO_ROOT

EXPECTED = {
    "cpu_2proc": (DistributedType.MULTI_GPU, 2),  # two processes even without GPUs; see the file
    "single_gpu": (DistributedType.NO, 1),
    "multi_gpu": (DistributedType.MULTI_GPU, 8),
    "fsdp2": (DistributedType.FSDP, 8),
    "deepspeed_zero2": (DistributedType.DEEPSPEED, 8),
    "deepspeed_zero3": (DistributedType.DEEPSPEED, 8),
}


def test_every_config_is_listed():
    assert {p.stem for p in (REPO_ROOT / "examples" / "accelerate_configs").glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_loads(name):
    config = load_config_from_file(str(Path(REPO_ROOT, "examples", "accelerate_configs", f"{name}.yaml")))
    assert (config.distributed_type, config.num_processes) == EXPECTED[name]
    if name.startswith("deepspeed"):
        assert config.deepspeed_config["zero_stage"] == int(name[-1])
