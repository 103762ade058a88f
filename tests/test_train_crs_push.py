"""`--push_to_hub` of `examples/train_crs.py` against the fake Hub: the card and the KG-carrying model come back."""

from conftest import REPO_ROOT
from fake_hub import run_with_hub

REPO = "crs_hf/kbrd-redial-sample"


def test_push_kbrd_and_load_it_from_the_hub(tmp_path, fake_hub):
    script, recipe = REPO_ROOT / "examples" / "train_crs.py", REPO_ROOT / "examples" / "recipes" / "kbrd_sample.yaml"
    run_with_hub(
        f"""
        import subprocess, sys
        proc = subprocess.run([sys.executable, {str(script)!r}, "--config", {str(recipe)!r}, "--output_dir",
                               {str(tmp_path / "out")!r}, "--num_train_epochs", "2", "--disable_tqdm", "true",
                               "--push_to_hub", "true", "--hub_model_id", {REPO!r}], capture_output=True, text=True)
        print(proc.stdout[-2000:], proc.stderr[-4000:])
        sys.exit(proc.returncode)
        """,
        fake_hub.endpoint, tmp_path / "push", timeout=400,
    )
    files = fake_hub.repo_files(REPO, "model")
    assert {"config.json", "model.safetensors", "README.md", "test_results.json", "predictions.jsonl"} <= set(files)
    card = files["README.md"].decode()
    assert "The **recommender** of **KBRD (Chen et al., EMNLP 2019)**" in card and "| hit@50 |" in card
    assert "chen-etal-2019-towards" in card and "zhou-etal-2021-crslab" in card

    proc = run_with_hub(
        f"""
        import crs_hf
        from crs_hf.models import KBRDForRecommendation
        model = KBRDForRecommendation.from_pretrained({REPO!r})
        print("LOADED", model.config.n_entity_edges > 0, len(model.config.item_ids))
        """,
        fake_hub.endpoint, tmp_path / "load",
    )
    assert "LOADED True 60" in proc.stdout


def test_a_staged_recipe_pushes_its_last_stage_under_the_run_name(tmp_path, fake_hub):
    from fake_hub import FAKE_USER

    recipe = REPO_ROOT / "examples" / "recipes" / "kgsf_stages_sample.yaml"
    run_with_hub(
        f"""
        import subprocess, sys
        proc = subprocess.run([sys.executable, "-m", "crs_hf.scripts.train_crs", "--config", {str(recipe)!r},
                               "--output_dir", {str(tmp_path / "kgsf-run")!r}, "--max_steps", "2",
                               "--disable_tqdm", "true", "--push_to_hub", "true"], capture_output=True, text=True)
        print(proc.stdout[-2000:], proc.stderr[-4000:])
        sys.exit(proc.returncode)
        """,
        fake_hub.endpoint, tmp_path / "push", timeout=400,
    )
    files = fake_hub.repo_files(f"{FAKE_USER}/kgsf-run", "model")  # named after the run, not after its last stage
    assert "The **conversation model** of **KGSF" in files["README.md"].decode()
    assert b'"KGSFForConversation"' in files["config.json"] and "tokenizer.json" in files


def test_conversation_models_push_and_generate_from_the_hub(tmp_path, fake_hub):
    """The retrieval baseline (its index in buffers), GPT-2 (a backbone's tokenizer and weights) and INSPIRED (two
    language models) pushed by the script come back from the Hub through `AutoModelForSeq2SeqLM` and answer a test
    turn exactly as the local checkpoint does."""
    from test_models_gpt2 import sample_texts, tiny_gpt2_backbone

    backbone = tiny_gpt2_backbone(tmp_path / "backbone", sample_texts(["redial"]), n_positions=128)
    runs = {"retrieval": ["--config", "retrieval_sample"],
            "gpt2": ["--config", "gpt2_sample", "--backbone_name_or_path", str(backbone)],
            "inspired": ["--config", "inspired_sample", "--stage", "conv", "--backbone_name_or_path", str(backbone)]}
    common = ["--max_steps", "2", "--max_test_samples", "4", "--generation_max_length", "5", "--disable_tqdm",
              "true", "--report_to", "none", "--push_to_hub", "true"]
    run_with_hub(
        f"""
        from crs_hf.scripts import train_crs
        for name, args in {runs!r}.items():
            train_crs.cli([*args, *{common!r}, "--output_dir", {str(tmp_path)!r} + "/" + name,
                           "--hub_model_id", "crs_hf/" + name + "-sample"])
        """,
        fake_hub.endpoint, tmp_path / "push", timeout=400,
    )
    proc = run_with_hub(
        f"""
        import inspect
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        import crs_hf
        for name in {list(runs)!r}:
            hub = AutoModelForSeq2SeqLM.from_pretrained("crs_hf/" + name + "-sample").eval()
            local = AutoModelForSeq2SeqLM.from_pretrained({str(tmp_path)!r} + "/" + name).eval()
            tokenizer = AutoTokenizer.from_pretrained("crs_hf/" + name + "-sample")
            ids = tokenizer("have you seen any good movies lately ?", add_special_tokens=False,
                            return_tensors="pt")["input_ids"]
            inputs = {{"input_ids": ids, "attention_mask": torch.ones_like(ids)}}
            if "response_roles" in inspect.signature(hub.forward).parameters:  # INSPIRED: the recommender's LM
                inputs["response_roles"] = torch.ones(1, dtype=torch.long)
            same = torch.equal(hub.generate(**inputs, max_new_tokens=4), local.generate(**inputs, max_new_tokens=4))
            print("LOADED", name, type(hub).__name__, same)
        """,
        fake_hub.endpoint, tmp_path / "load",
    )
    for name, cls in (("retrieval", "RetrievalForConversation"), ("gpt2", "CRSGPT2ForConversation"),
                      ("inspired", "CRSInspiredForConversation")):
        assert f"LOADED {name} {cls} True" in proc.stdout, proc.stdout
