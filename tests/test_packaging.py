"""The wheel carries every package, builder, dataset card and embedded sample (CI tests the installed wheel)."""

import configparser
from importlib import resources
from pathlib import Path

from conftest import REPO_ROOT

from crs_hf.data import DATASETS, sample_data_dir


def declared_packages() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "setup.cfg")
    return set(parser["options"]["packages"].split())


def source_packages() -> set[str]:
    found = set()
    roots = (("crs_hf", "crs_hf"), ("crs_hf.dataset_scripts", "dataset_scripts"), ("crs_hf.model_cards", "model_cards"),
             ("crs_hf.example_recipes", "examples/recipes"))
    for prefix, folder in roots:
        root = REPO_ROOT / folder
        for init in root.rglob("__init__.py"):
            found.add(".".join([prefix, *init.parent.relative_to(root).parts]))
    return found


def test_setup_cfg_lists_every_package():
    assert declared_packages() == source_packages()


def test_installed_package_has_model_card_templates_recipes_and_metric_modules():
    assert (resources.files("crs_hf.model_cards") / "durecdial2_seq2seq.md").is_file()
    shipped = {p.name for p in resources.files("crs_hf.example_recipes").iterdir() if p.name.endswith(".yaml")}
    assert shipped == {p.name for p in (REPO_ROOT / "examples" / "recipes").glob("*.yaml")}
    for name in ("recommendation", "conversation", "policy", "durecdial"):
        assert (resources.files("crs_hf.metrics") / name / f"{name}.py").is_file(), name
        assert (resources.files("crs_hf.metrics") / name / "README.md").is_file(), name


def test_installed_package_has_builders_cards_and_samples():
    scripts = resources.files("crs_hf.dataset_scripts")
    for name, entry in DATASETS.items():
        assert (scripts / name / f"{name}.py").is_file(), name
        assert (scripts / name / "README.md").is_file(), f"{name} has no dataset card in the installed package"
        if entry.has_sample:
            files = sorted(p.name for p in Path(sample_data_dir(name)).iterdir())
            assert any(f.endswith(".txt") for f in files), f"{name} sample has no raw files: {files}"
