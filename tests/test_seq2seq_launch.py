"""The DuRecDial 2.0 example under `accelerate launch`: one process, and two gloo processes on the CPU."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, free_port

SCRIPT = str(REPO_ROOT / "examples" / "train_durecdial2.py")
RECIPE = str(REPO_ROOT / "examples" / "recipes" / "mbart_durecdial2_sample.yaml")


def accelerate_launch(tmp_path, launch_args: list[str], task: str) -> subprocess.CompletedProcess:
    accelerate = shutil.which("accelerate") or os.path.join(os.path.dirname(sys.executable), "accelerate")
    out = tmp_path / "out"
    command = [accelerate, "launch", *launch_args, SCRIPT, "--config", RECIPE, "--dataset_config", task,
               "--output_dir", str(out), "--num_train_epochs", "2", "--max_eval_samples", "15",
               "--generation_max_length", "8", "--disable_tqdm", "true"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "HF_DATASETS_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


@pytest.mark.parametrize(
    "launch_args, task, processes",
    [
        (["--num_processes", "1", "--cpu"], "en-zh", "1 process"),
        (["--config_file", str(REPO_ROOT / "examples" / "accelerate_configs" / "cpu_2proc.yaml"), "--main_process_port",
          str(free_port())], "multi", "2 processes"),
    ],
    ids=["one-process", "two-processes"],
)
def test_accelerate_launch(tmp_path, launch_args, task, processes):
    proc = accelerate_launch(tmp_path, launch_args, task)
    assert f"({processes}):" in proc.stdout
    out = tmp_path / "out"
    results = json.loads((out / "test_results.json").read_text())
    # 15 test turns over 2 processes: the padded duplicate of the uneven split must not reach the metrics or the file
    predictions = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == 15
    assert 0 <= results["test_f1"] <= 1 and "test_knowledge_f1" in results
    assert proc.stdout.count("| Task | Method |") == 1  # the Table-4 summary is printed once, by the main process
