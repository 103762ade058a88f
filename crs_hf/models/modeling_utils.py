"""`CRSPreTrainedModel`: the base class of every crs_hf model, and how its checkpoints load.

crs_hf checkpoints load through the library, as sentence-transformers' and peft's do: `import crs_hf` registers
every `crs_*` model type with `AutoConfig`, `AutoModel` and the heads' task Auto classes, and the modeling files
import the shared layers from `crs_hf.models.layers` (no copied remote code). What is left to design is the error
where crs_hf is *not* installed: without help, transformers says the model type is not recognised and suggests
upgrading transformers. So `save_pretrained` also writes a loader module, `crs_hf_loader.py`, and points
`config.json`'s `auto_map` at it (`{"AutoConfig": "crs_hf_loader.KBRDConfig"}`); the loader imports crs_hf and
returns its registered config class, or raises one line: `crs_kbrd is a crs_hf model: pip install crs-hf`.

How transformers 5.23 treats the pair (`dynamic_module_utils`, `AutoConfig.from_pretrained`, `auto_factory`),
checked by `tests/test_model_loading.py`:

- crs_hf installed and imported: the model type is registered ("local code") by a class outside `transformers.`
  ("explicit local code"), so the registered classes are used and the loader never runs, with or without
  `trust_remote_code=True`. The checkpoint loads like any registered model.
- crs_hf missing, `trust_remote_code=True`: transformers copies the loader into its module cache and checks its
  imports first (`check_imports`), but `get_imports` skips `try` blocks, so the `import crs_hf` inside
  `try`/`except ModuleNotFoundError` passes that check; running the module then raises the one-line `ImportError`.
- crs_hf missing, no `trust_remote_code`: transformers' own message wins: `resolve_trust_remote_code` sees remote
  code it may not run and asks for it (an interactive `[y/N]` prompt, or, without a terminal, a `ValueError`:
  "The repository <dir> contains custom code which must be executed to correctly load the model. ... Please pass
  the argument `trust_remote_code=True` to allow custom code to be run."); passing it gives the line above.
- crs_hf installed but not imported: `trust_remote_code=True` imports it through the loader, which registers
  everything, so the crs_hf classes load (without it, the same request to pass `trust_remote_code=True`).

Only `AutoConfig` needs the entry: every `AutoModel*.from_pretrained` loads the config through `AutoConfig`
first. The loader travels with the checkpoint: `push_to_hub()` and Trainer's `push_to_hub` upload the folder
`save_pretrained` wrote, and `save_pretrained(push_to_hub=True)` uploads through `_upload_modified_files`, which
writes it first.
"""

from __future__ import annotations

import os
from pathlib import Path

from transformers import PreTrainedModel

__all__ = ["LOADER_MODULE", "CRSPreTrainedModel", "loader_source"]

LOADER_MODULE = "crs_hf_loader"

_LOADER = '''"""Written by crs_hf's `save_pretrained`: this {model_type} checkpoint loads through the crs_hf library.

`config.json` maps `AutoConfig` here so that where crs_hf is missing, `trust_remote_code=True` says what to install.
Where crs_hf is installed and imported, transformers uses its registered classes and never runs this file.
"""

try:
    import crs_hf  # registers the crs_* model types with the Auto classes
except ModuleNotFoundError as error:
    if error.name != "crs_hf":
        raise
    raise ImportError("{model_type} is a crs_hf model: pip install crs-hf") from None

from transformers.models.auto.configuration_auto import CONFIG_MAPPING

if "{model_type}" not in CONFIG_MAPPING:
    raise ImportError(f"{model_type} is not a model of crs_hf {{crs_hf.__version__}}: pip install -U crs-hf")
{config_class} = CONFIG_MAPPING["{model_type}"]
'''


def loader_source(config) -> str:
    """The text of the loader module `save_pretrained` writes next to `config.json`."""
    return _LOADER.format(model_type=config.model_type, config_class=type(config).__name__)


class CRSPreTrainedModel(PreTrainedModel):
    """Base of every crs_hf model's `XxxPreTrainedModel`: saves the loader module and `auto_map` with the weights
    (see the module docstring)."""

    def save_pretrained(self, save_directory: str | os.PathLike, is_main_process: bool = True, **kwargs) -> None:
        config = self.config
        # AutoConfig's remote-code path registers the config class for custom-code saving (copying its file,
        # which imports crs_hf); the loader's auto_map replaces that.
        type(config)._auto_class = None
        previous = config.__dict__.pop("auto_map", None)  # e.g. read from the checkpoint it was loaded from
        config.auto_map = {"AutoConfig": f"{LOADER_MODULE}.{type(config).__name__}"}
        try:
            super().save_pretrained(save_directory, is_main_process=is_main_process, **kwargs)
        finally:
            del config.auto_map
            if previous is not None:
                config.auto_map = previous
        if self.should_save_on_this_rank(is_main_process) and os.path.isdir(save_directory):
            self._write_loader(save_directory)

    def _upload_modified_files(self, working_dir: str | os.PathLike, *args, **kwargs):
        # save_pretrained(push_to_hub=True) uploads from inside super().save_pretrained, before the loader is
        # written: write it here too, so that it is among the files modified since the upload began.
        self._write_loader(working_dir)
        return super()._upload_modified_files(working_dir, *args, **kwargs)

    def _write_loader(self, directory: str | os.PathLike) -> None:
        Path(directory, f"{LOADER_MODULE}.py").write_text(loader_source(self.config), encoding="utf-8")
