"""`--push_to_hub` of the DuRecDial 2.0 example against the project's fake Hub; a user then loads the model."""

from conftest import REPO_ROOT
from fake_hub import run_with_hub

SCRIPT = REPO_ROOT / "examples" / "train_durecdial2.py"
RECIPE = REPO_ROOT / "examples" / "recipes" / "mbart_durecdial2_sample.yaml"


def test_push_trained_model_and_load_it_from_the_hub(tmp_path, fake_hub):
    run_with_hub(
        f"""
        import subprocess, sys
        cmd = [sys.executable, {str(SCRIPT)!r}, "--config", {str(RECIPE)!r}, "--dataset_config", "zh-en",
               "--output_dir", {str(tmp_path / "out")!r}, "--num_train_epochs", "1", "--max_eval_samples", "4",
               "--generation_max_length", "6", "--disable_tqdm", "true", "--push_to_hub", "true",
               "--hub_model_id", "crs_hf/mbart-tiny-durecdial2-zh-en"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        print(proc.stdout[-2000:], proc.stderr[-4000:])
        sys.exit(proc.returncode)
        """,
        fake_hub.endpoint, tmp_path / "push", timeout=400,
    )
    files = fake_hub.repo_files("crs_hf/mbart-tiny-durecdial2-zh-en", "model")
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "test_results.json",
            "predictions.jsonl"} <= set(files)
    card = files["README.md"].decode()
    assert "| 4(ZH->EN) | mBART (paper) | 67.43% |" in card and "crs_hf/durecdial2" in card

    proc = run_with_hub(
        """
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        model = AutoModelForSeq2SeqLM.from_pretrained("crs_hf/mbart-tiny-durecdial2-zh-en")
        tokenizer = AutoTokenizer.from_pretrained("crs_hf/mbart-tiny-durecdial2-zh-en")
        print("LOADED", type(model).__name__, type(tokenizer).__name__, tokenizer.convert_tokens_to_ids("en_XX") > 3)
        """,
        fake_hub.endpoint, tmp_path / "load",
    )
    assert "LOADED MBartForConditionalGeneration MBartTokenizer True" in proc.stdout
