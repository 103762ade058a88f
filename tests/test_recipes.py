"""Recipes: YAML defaults under command-line overrides, and recipes that list training stages."""

from dataclasses import dataclass, field

import pytest

from crs_hf.errors import CRSHFError
from crs_hf.recipes import RecipeParser


@dataclass
class Args:
    stage: str = "rec"
    learning_rate: float = 1e-3
    epochs: int = 1
    freeze: bool = False
    tags: list[str] = field(default_factory=list)


def write(tmp_path, text: str) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    return str(path)


STAGED = """
learning_rate: 0.01
tags: [a]
stages:
  - {stage: pretrain, epochs: 3}
  - {stage: conv, freeze: true, learning_rate: 0.005}
"""


def test_each_stage_gets_recipe_then_stage_values_and_none_leak_into_the_next(tmp_path):
    recipe = write(tmp_path, STAGED)
    (pretrain,), (conv,) = RecipeParser(Args).parse_stages(["--config", recipe])
    assert (pretrain.stage, pretrain.epochs, pretrain.learning_rate, pretrain.freeze) == ("pretrain", 3, 0.01, False)
    assert (conv.stage, conv.epochs, conv.learning_rate, conv.freeze) == ("conv", 1, 0.005, True)
    assert pretrain.tags == conv.tags == ["a"]


def test_the_command_line_overrides_every_stage(tmp_path):
    recipe = write(tmp_path, STAGED)
    stages = RecipeParser(Args).parse_stages(["--config", recipe, "--epochs", "7", "--learning_rate", "0.1"])
    assert [(args.stage, args.epochs, args.learning_rate) for (args,) in stages] == [
        ("pretrain", 7, 0.1), ("conv", 7, 0.1)]


def test_a_boolean_keeps_its_default_across_stages(tmp_path):
    # `--x` and `--no_x` share one dest: resetting defaults per stage must not take the `--no_x` action's
    @dataclass
    class WithTrueDefault:
        stage: str = "rec"
        concat: bool = True

    recipe = write(tmp_path, "stages:\n  - {stage: rec}\n  - {stage: conv}\n")
    assert [args.concat for (args,) in RecipeParser(WithTrueDefault).parse_stages(["--config", recipe])] == [True, True]


def test_a_recipe_without_stages_is_one_stage(tmp_path):
    recipe = write(tmp_path, "epochs: 4\n")
    parser = RecipeParser(Args)
    (args,) = parser.parse_args_and_config(["--config", recipe, "--freeze", "true"])
    assert (args.epochs, args.freeze) == (4, True) and parser.recipe_path == recipe


@pytest.mark.parametrize("text, message", [
    ("stages:\n  - {stage: rec, epoch: 3}\n", r"recipe.yaml \(stage 1\) has unknown key\(s\) epoch"),
    ("stages: {stage: rec}\n", "`stages` must be a list of mappings"),
    ("- 1\n", "must be a mapping of argument names"),
    ("epochs: [1\n", "is not valid YAML"),
])
def test_bad_recipes_name_the_file_and_the_problem(tmp_path, text, message):
    with pytest.raises(CRSHFError, match=message):
        RecipeParser(Args).parse_stages(["--config", write(tmp_path, text)])


def test_a_single_stage_script_refuses_a_staged_recipe(tmp_path):
    with pytest.raises(CRSHFError, match="lists stages; this script runs one stage at a time"):
        RecipeParser(Args).parse_args_and_config(["--config", write(tmp_path, STAGED)])


def test_the_command_line_stage_picks_that_stage_of_a_staged_recipe(tmp_path):
    recipe = write(tmp_path, STAGED)
    ((conv,),) = RecipeParser(Args).parse_stages(["--config", recipe, "--stage", "conv", "--epochs", "2"])
    assert (conv.stage, conv.epochs, conv.learning_rate, conv.freeze, conv.tags) == ("conv", 2, 0.005, True, ["a"])
    with pytest.raises(CRSHFError, match=r"recipe .*recipe.yaml has no stage 'rec'; its stages are \['pretrain', 'conv'\]"):
        RecipeParser(Args).parse_stages(["--config", recipe, "--stage", "rec"])
