"""YAML recipes + command-line overrides for the example scripts.

A recipe is a YAML file whose keys are field names of the script's argument dataclasses, plus optionally `stages`,
a list of such mappings for scripts that run several training stages (`RecipeParser.parse_stages`). Its values
become the parser's defaults and any flag given on the command line overrides them:

    accelerate launch examples/train_durecdial2.py --config examples/recipes/mbart_durecdial2_sample.yaml \\
        --dataset_config en-zh --num_train_epochs 3

Unknown recipe keys are an error (a typo must never be silently ignored), naming the key and the recipe.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence

import yaml
from transformers import HfArgumentParser

from crs_hf.errors import CRSHFError

__all__ = ["RecipeParser", "parse_config_overrides"]


class RecipeParser(HfArgumentParser):
    """`HfArgumentParser` with a `--config recipe.yaml` option whose values are defaults for the CLI.

    A recipe may list training stages that run one after the other (e.g. KGSF's pretrain -> rec -> conv):

        output_dir: outputs/kgsf
        learning_rate: 0.001
        stages:
          - {stage: pretrain, num_train_epochs: 3}
          - {stage: rec, num_train_epochs: 9}

    `parse_stages` then gives one set of arguments per stage: the recipe's values, overridden by the stage's, then by
    the command line. `--stage rec` on the command line runs only that stage of such a recipe, with its settings.
    """

    recipe_path: str | None = None  # the recipe of the last parse, for model cards
    _stages: list[dict] = []  # its stages

    def parse_args_and_config(self, args: Sequence[str] | None = None) -> tuple:
        """Returns one instance per dataclass, from recipe defaults overridden by `args` (default: `sys.argv[1:]`).
        A recipe with `stages` is refused here: use `parse_stages`."""
        stages = self.parse_stages(args)
        if self._stages:
            raise CRSHFError(f"recipe {self.recipe_path} lists stages; this script runs one stage at a time")
        return stages[0]

    def parse_stages(self, args: Sequence[str] | None = None) -> list[tuple]:
        """One tuple of dataclass instances per stage of the recipe (a single one for a recipe without `stages`)."""
        args = list(sys.argv[1:] if args is None else args)
        config_parser = argparse.ArgumentParser(add_help=False)
        config_parser.add_argument("--config")
        config_parser.add_argument("--stage")
        known, remaining = config_parser.parse_known_args(args)
        if known.stage is not None:  # the script's own `--stage` field still reads it
            remaining += ["--stage", known.stage]
        self.recipe_path, self._stages = known.config, []
        recipe = self.read_recipe(known.config) if known.config else {}
        self._stages = recipe.pop("stages", None) or []
        if not isinstance(self._stages, list) or not all(isinstance(stage, dict) for stage in self._stages):
            raise CRSHFError(f"recipe {known.config}: `stages` must be a list of mappings of argument names to values")
        if self._stages and known.stage is not None:
            named = [stage.get("stage", recipe.get("stage")) for stage in self._stages]
            if known.stage not in named:
                raise CRSHFError(f"recipe {known.config} has no stage {known.stage!r}; its stages are {named}")
            self._stages = [stage for stage, name in zip(self._stages, named) if name == known.stage]
        original = [(action.default, action.required) for action in self._actions]  # by action: `--x`/`--no_x` share a dest
        parsed = []
        for index, stage in enumerate(self._stages or [{}]):
            for action, (default, required) in zip(self._actions, original):  # from the script's own defaults
                action.default, action.required = default, required
            self._set_recipe_defaults({**recipe, **stage}, f"{known.config} (stage {index + 1})" if stage else
                                      known.config)
            parsed.append(tuple(self.parse_args_into_dataclasses(remaining, look_for_args_file=False)))
        return parsed

    def read_recipe(self, path: str | os.PathLike) -> dict:
        """The recipe's mapping; a missing file, bad YAML or a non-mapping is a `CRSHFError` naming the file."""
        try:
            with open(path, encoding="utf-8") as handle:
                recipe = yaml.safe_load(handle) or {}
        except FileNotFoundError as error:
            raise CRSHFError(f"recipe {path} does not exist") from error
        except yaml.YAMLError as error:
            raise CRSHFError(f"recipe {path} is not valid YAML: {error}") from error
        if not isinstance(recipe, dict):
            raise CRSHFError(f"recipe {path} must be a mapping of argument names to values, got {type(recipe).__name__}")
        return recipe

    def set_defaults_from_recipe(self, path: str | os.PathLike) -> dict:
        """Reads a recipe (without stages) and makes its values the defaults of the matching arguments."""
        recipe = self.read_recipe(path)
        if "stages" in recipe:
            raise CRSHFError(f"recipe {path} lists stages: read it with parse_stages")
        self._set_recipe_defaults(recipe, path)
        return recipe

    def _set_recipe_defaults(self, recipe: dict, where) -> None:
        known = {field.name for dtype in self.dataclass_types for field in dataclasses.fields(dtype)}
        unknown = sorted(set(recipe) - known)
        if unknown:
            raise CRSHFError(f"recipe {where} has unknown key(s) {', '.join(unknown)}; every key must be an argument "
                             f"of the script (see --help)")
        for action in self._actions:
            if action.dest in recipe:
                action.required = False  # the recipe provides it
        self.set_defaults(**recipe)


def parse_config_overrides(text: str | None) -> dict[str, int | float | bool | str]:
    """`"d_model=64,scale_embedding=true"` -> `{"d_model": 64, "scale_embedding": True}` (ints, floats, booleans,
    else strings), for the `config_overrides` argument of the example scripts."""
    values: dict[str, int | float | bool | str] = {}
    for item in filter(None, (text or "").split(",")):
        key, separator, raw = item.partition("=")
        if not separator or not key.strip():
            raise CRSHFError(f"config_overrides must be comma-separated key=value pairs, got {item!r} in {text!r}")
        for cast in (int, float):
            try:
                values[key.strip()] = cast(raw)
                break
            except ValueError:
                continue
        else:
            values[key.strip()] = {"true": True, "false": False}.get(raw.strip().lower(), raw.strip())
    return values
