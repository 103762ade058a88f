"""Checks (and with `--fix` rewrites) the `# Copied from crs_hf.models.layers...` copies in the model files.

A model that must load with `trust_remote_code=True` without crs_hf installed cannot import
`crs_hf.models.layers` (`save_pretrained` copies only same-folder files), so it keeps copies of the layers it uses,
each preceded by a marker, as transformers' `utils/check_copies.py` does:

    # Copied from crs_hf.models.layers.transformer.CRSMultiHeadAttention with CRS->KBRD
    class KBRDMultiHeadAttention(nn.Module):
        ...

The copy must equal the source class or function (decorators included) after the replacements: `CRS->KBRD`
renames every name defined in `crs_hf/models/layers/` that starts with `CRS` (so `CRSLab` in prose stays).

    python -m crs_hf.models.check_copies          # exit status 1 and a list if a copy drifted
    python -m crs_hf.models.check_copies --fix    # rewrite the copies from their sources
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

__all__ = ["check_copies"]

MODELS_DIR = Path(__file__).resolve().parent
PACKAGE_ROOT = MODELS_DIR.parents[1]  # the folder holding `crs_hf/`
LAYERS_DIR = MODELS_DIR / "layers"
MARKER = re.compile(r"^# Copied from (?P<module>crs_hf\.models\.layers\.\w+)\.(?P<name>\w+)"
                    r"(?: with (?P<replacements>\w+->\w+(?:, \w+->\w+)*))?\s*$")


def _blocks(path: Path) -> dict[str, tuple[int, int]]:
    """Top-level classes and functions of a file: name -> (first line incl. decorators, last line), 0-based."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    blocks = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
            blocks[node.name] = (first - 1, node.end_lineno - 1)
    return blocks


def _layer_names() -> set[str]:
    return {name for path in LAYERS_DIR.glob("*.py") for name in _blocks(path)}


def _expected(module: str, name: str, replacements: str | None, layer_names: set[str]) -> list[str] | str:
    """The source block with the replacements applied, or an error message."""
    path = PACKAGE_ROOT.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return f"no module {module} ({path})"
    blocks = _blocks(path)
    if name not in blocks:
        return f"{module} defines no top-level {name}"
    first, last = blocks[name]
    text = "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[first:last + 1])
    for pair in (replacements or "").split(", ") if replacements else []:
        old, new = pair.split("->")
        text = re.sub(rf"\b{old}(\w+)\b",
                      lambda match: new + match.group(1) if match.group(0) in layer_names else match.group(0), text)
    return text.splitlines(keepends=True)


def check_copies(paths: list[Path] | None = None, fix: bool = False) -> list[str]:
    """Returns one line per copy that differs from its source (fixing it in place when `fix`)."""
    if paths is None:
        paths = sorted(p for p in MODELS_DIR.rglob("*.py") if LAYERS_DIR not in p.parents)
    layer_names = _layer_names()
    problems = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        starts = {first: (name, last) for name, (first, last) in _blocks(path).items()}
        edits = []
        for index, line in enumerate(lines):
            marker = MARKER.match(line)
            if marker is None:
                continue
            where = f"{path.relative_to(PACKAGE_ROOT) if path.is_relative_to(PACKAGE_ROOT) else path}:{index + 1}"
            if index + 1 not in starts:
                problems.append(f"{where}: the marker is not followed by a top-level class or function")
                continue
            name, last = starts[index + 1]
            expected = _expected(marker["module"], marker["name"], marker["replacements"], layer_names)
            if isinstance(expected, str):
                problems.append(f"{where}: {expected}")
            elif lines[index + 1:last + 1] != expected:
                problems.append(f"{where}: {name} differs from {marker['module']}.{marker['name']}")
                edits.append((index + 1, last + 1, expected))
        if fix and edits:
            for start, end, expected in reversed(edits):
                lines[start:end] = expected
            path.write_text("".join(lines), encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fix", action="store_true", help="rewrite drifted copies from their sources")
    args = parser.parse_args(argv)
    problems = check_copies(fix=args.fix)
    if args.fix:
        print(f"rewrote {len(problems)} drifted copies" if problems else "all copies match their sources")
        problems = check_copies()  # what --fix could not repair
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
