"""Strict readers for raw data files, shared by every dataset builder.

They never skip or repair bad input: anything malformed raises `CRSDataError` naming the file, the line and the
field, so a user can open the file at that line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from crs_hf.errors import CRSDataError

__all__ = ["iter_jsonl", "require_field", "describe_type"]


def describe_type(value: Any) -> str:
    """Short JSON-ish name of a value's type for error messages ("list", "str", "null", ...)."""
    return "null" if value is None else type(value).__name__


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields `(line_number, record)` for each non-blank line of a JSON-lines file (1-based line numbers).

    Raises:
        CRSDataError: the file is missing or empty, a line is not valid JSON, or a line is not a JSON object.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CRSDataError(path, None, None, "file not found")
    seen_any = False
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CRSDataError(path, line_no, None, f"invalid JSON ({error.msg} at column {error.colno})") from error
            if not isinstance(record, dict):
                raise CRSDataError(path, line_no, None, f"expected a JSON object, got {describe_type(record)}")
            seen_any = True
            yield line_no, record
    if not seen_any:
        raise CRSDataError(path, None, None, "file is empty: expected one JSON object per line")


def require_field(record: dict[str, Any], field: str, expected: type | tuple[type, ...], path: str, line: int) -> Any:
    """Returns `record[field]`, raising `CRSDataError` if it is missing or not of the `expected` type."""
    if field not in record:
        raise CRSDataError(path, line, field, f"missing field (record has: {', '.join(sorted(record)) or 'no fields'})")
    value = record[field]
    if not isinstance(value, expected):
        names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
        raise CRSDataError(path, line, field, f"expected {names}, got {describe_type(value)}")
    return value
