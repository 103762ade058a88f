"""YAML recipes + command-line overrides for the example scripts.

A recipe is a flat YAML file whose keys are field names of the script's argument dataclasses. Its values become
the parser's defaults and any flag given on the command line overrides them:

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
    """`HfArgumentParser` with a `--config recipe.yaml` option whose values are defaults for the CLI."""

    recipe_path: str | None = None  # the recipe of the last parse, for model cards

    def parse_args_and_config(self, args: Sequence[str] | None = None) -> tuple:
        """Returns one instance per dataclass, from recipe defaults overridden by `args` (default: `sys.argv[1:]`)."""
        args = list(sys.argv[1:] if args is None else args)
        config_parser = argparse.ArgumentParser(add_help=False)
        config_parser.add_argument("--config")
        known, remaining = config_parser.parse_known_args(args)
        if known.config:
            self.set_defaults_from_recipe(known.config)
        self.recipe_path = known.config
        outputs = self.parse_args_into_dataclasses(remaining, look_for_args_file=False)
        return tuple(outputs)

    def set_defaults_from_recipe(self, path: str | os.PathLike) -> dict:
        """Reads a recipe and makes its values the defaults of the matching arguments."""
        try:
            with open(path, encoding="utf-8") as handle:
                recipe = yaml.safe_load(handle) or {}
        except FileNotFoundError as error:
            raise CRSHFError(f"recipe {path} does not exist") from error
        except yaml.YAMLError as error:
            raise CRSHFError(f"recipe {path} is not valid YAML: {error}") from error
        if not isinstance(recipe, dict):
            raise CRSHFError(f"recipe {path} must be a mapping of argument names to values, got {type(recipe).__name__}")
        known = {field.name for dtype in self.dataclass_types for field in dataclasses.fields(dtype)}
        unknown = sorted(set(recipe) - known)
        if unknown:
            raise CRSHFError(f"recipe {path} has unknown key(s) {', '.join(unknown)}; every key must be an argument "
                             f"of the script (see --help)")
        for action in self._actions:
            if action.dest in recipe:
                action.required = False  # the recipe provides it
        self.set_defaults(**{key: value for key, value in recipe.items()})
        return recipe


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
