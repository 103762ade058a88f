"""Export a crs_hf dataset to the Hub layout (Parquet + dataset card) and push it to the Hub.

The layout is the one plain `datasets.load_dataset(dir_or_repo_id, config)` reads without any crs_hf code:

    OUT/README.md                                  dataset card; YAML `configs:` maps each config to its files
    OUT/<config>/<split>-00000-of-00001.parquet    one file per config and split

Export is atomic: everything is written into a hidden sibling folder that is renamed to OUT only when complete,
so a failure (e.g. a malformed raw file) leaves no partial OUT behind.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import datasets
from huggingface_hub import DatasetCard, HfApi

import crs_hf
from crs_hf.data.builder import UnavailableConfigError
from crs_hf.data.registry import DATASETS, check_config, build_dataset, config_names, get_builder_class, load_builder
from crs_hf.errors import CRSHFError

__all__ = ["ExportResult", "export_dataset", "push_dataset", "render_dataset_card"]

CARD_TEMPLATES_DIR = Path(importlib.import_module("crs_hf.dataset_scripts").__file__).parent


@dataclass
class ExportResult:
    """What an export wrote: `rows[config][split]` = number of records."""

    name: str
    out_dir: Path
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    features: dict[str, datasets.Features] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # config -> why the raw release cannot give it


def parquet_path(config: str, split: str) -> str:
    return f"{config}/{split}-00000-of-00001.parquet"


def export_dataset(
    name: str,
    out_dir: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    configs: list[str] | None = None,
    cache_dir: str | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Builds `configs` (default: all) of dataset `name` and writes them to `out_dir` in the Hub layout.

    With the default, configs that the given raw release cannot provide (e.g. the KG configs of a text-only
    original release) are skipped and listed in `ExportResult.skipped` and the card; a config asked for by name
    must build.

    Raises:
        CRSHFError: `out_dir` exists and is not empty while `overwrite` is False, or an unknown config is asked for.
        CRSDataError: a raw file is malformed; `out_dir` is then left as it was.
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise CRSHFError(f"{out_dir} exists and is not empty; choose another folder or pass overwrite=True (--overwrite)")
    explicit = bool(configs)
    for config in configs or []:
        check_config(name, config)
    configs = list(configs or config_names(name))

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.incomplete-", dir=out_dir.parent))
    try:
        result = ExportResult(name=name, out_dir=out_dir)
        info, raw_files = None, set()
        for config in configs:
            builder = load_builder(name, config, data_dir, cache_dir)
            try:
                dataset_dict = build_dataset(builder)
            except UnavailableConfigError as error:
                if explicit:
                    raise
                result.skipped[config] = error.reason
                continue
            if data_dir is not None and hasattr(builder, "raw_files"):
                raw_files.update(builder.raw_files())
            result.rows[config] = {}
            for split, dataset in dataset_dict.items():
                target = staging / parquet_path(config, split)
                target.parent.mkdir(parents=True, exist_ok=True)
                dataset.to_parquet(str(target))
                result.rows[config][split] = len(dataset)
                result.features[config] = dataset.features
                info = dataset.info
        if not result.rows:
            reasons = "; ".join(f"{config}: {reason}" for config, reason in result.skipped.items())
            raise CRSHFError(f"no config of {name!r} could be built from the given release ({reasons})")
        card = render_dataset_card(name, result, info, sorted(raw_files))
        (staging / "README.md").write_text(str(card), encoding="utf-8")
        _replace_dir(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _replace_dir(new: Path, target: Path) -> None:
    """Moves `new` to `target`, replacing what was there only once `new` is complete."""
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _features_table(features: datasets.Features) -> str:
    rows = ["| field | type |", "|---|---|"]
    rows += [f"| `{key}` | `{value!r}` |" for key, value in features.items()]
    return "\n".join(rows)


def render_dataset_card(
    name: str, result: ExportResult, info: datasets.DatasetInfo | None, raw_files: list[str]
) -> DatasetCard:
    """The hand-written card `dataset_scripts/<name>/README.md` plus generated configs, schema, sizes and provenance."""
    template = CARD_TEMPLATES_DIR / name / "README.md"
    card = DatasetCard(template.read_text(encoding="utf-8")) if template.is_file() else DatasetCard("---\n---\n")
    builder_class = get_builder_class(name)
    default = builder_class.DEFAULT_CONFIG_NAME
    card.data.configs = [
        {
            "config_name": config,
            "data_files": [{"split": split, "path": parquet_path(config, split)} for split in splits],
            **({"default": True} if config == default else {}),
        }
        for config, splits in result.rows.items()
    ]
    if info is not None and info.license and not card.data.get("license"):
        card.data.license = info.license

    sections = ["\n## Configs and splits\n", "| config | split | rows |", "|---|---|---:|"]
    sections += [f"| `{c}` | {s} | {n:,} |" for c, splits in result.rows.items() for s, n in splits.items()]
    if result.skipped:
        sections += ["\nNot in this export (the raw release read cannot give them):\n"]
        sections += [f"- `{config}`: {reason}" for config, reason in result.skipped.items()]
    sections.append("\n## Data fields\n")
    for config, features in result.features.items():
        sections += [f"### `{config}`\n", _features_table(features), ""]
    sections.append("## Provenance\n")
    sections.append(f"Built with crs_hf {crs_hf.__version__} by the builder `{DATASETS[name].module}`.")
    if not raw_files:
        url = getattr(importlib.import_module(DATASETS[name].module), "DOWNLOAD_URL", "the official release")
        sections.append(f"Raw data downloaded from {url}.")
    else:
        sections += ["Raw files read:\n", "| file | bytes | sha256 |", "|---|---:|---|"]
        sections += [f"| `{Path(p).name}` | {Path(p).stat().st_size:,} | `{_sha256(Path(p))}` |" for p in raw_files]
    if info is not None and info.citation:
        sections += ["\n## Citation\n", "```bibtex", info.citation.strip(), "```"]
    card.text = card.text.rstrip() + "\n" + "\n".join(sections) + "\n"
    return card


def push_dataset(
    name: str,
    repo_id: str,
    data_dir: str | os.PathLike | None = None,
    configs: list[str] | None = None,
    cache_dir: str | None = None,
    private: bool | None = None,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Exports `name` and uploads the layout to the dataset repo `repo_id` (created if needed); returns the commit URL.

    Afterwards `datasets.load_dataset(repo_id, config)` works for anyone with access, without crs_hf.
    """
    with tempfile.TemporaryDirectory(prefix="crs_hf-push-") as tmp:
        export_dir = Path(tmp) / name
        export_dataset(name, export_dir, data_dir=data_dir, configs=configs, cache_dir=cache_dir)
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=str(export_dir),
            repo_id=repo_id,
            repo_type="dataset",
            commit_message=commit_message or f"Upload {name} ({', '.join(configs or ['all configs'])}) with crs_hf",
        )
    return str(commit.commit_url if hasattr(commit, "commit_url") else commit)
