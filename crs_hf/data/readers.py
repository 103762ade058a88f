"""Strict readers for raw data files, shared by every dataset builder.

They never skip or repair bad input: anything malformed raises `CRSDataError` naming the file, the line and the
field, so a user can open the file at that line.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from crs_hf.errors import CRSDataError

__all__ = [
    "describe_type",
    "iter_csv",
    "iter_json_array",
    "iter_jsonl",
    "iter_tsv",
    "read_json",
    "require_field",
    "require_str_list",
]


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


def require_field(
    record: dict[str, Any], field: str, expected: type | tuple[type, ...], path: str, line: int, prefix: str = ""
) -> Any:
    """Returns `record[field]`, raising `CRSDataError` if it is missing or not of the `expected` type.

    `prefix` locates a nested record in the error's field name, e.g. `"dialog[3]."` gives `dialog[3].role`.
    """
    if field not in record:
        raise CRSDataError(
            path, line, prefix + field, f"missing field (record has: {', '.join(sorted(record)) or 'no fields'})"
        )
    value = record[field]
    types = _types(expected)
    if not isinstance(value, expected) or (isinstance(value, bool) and int in types and bool not in types):
        names = " or ".join(t.__name__ for t in types)
        raise CRSDataError(path, line, prefix + field, f"expected {names}, got {describe_type(value)}")
    return value


def _types(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def require_str_list(record: dict[str, Any], field: str, path: str, line: int, prefix: str = "") -> list[str]:
    """Returns `record[field]`, which must be a list of strings (see `require_field` for `prefix`)."""
    values = require_field(record, field, list, path, line, prefix)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise CRSDataError(path, line, f"{prefix}{field}[{index}]", f"expected str, got {describe_type(value)}")
    return values


def _require_file(path: str) -> None:
    if not os.path.isfile(path):
        raise CRSDataError(path, None, None, "file not found")


def read_json(path: str | os.PathLike, expected: type | tuple[type, ...]) -> Any:
    """Loads a whole JSON file whose top level must be of type `expected` (e.g. `dict` for `{name: id}` tables).

    Raises:
        CRSDataError: the file is missing, is not valid JSON (naming the line), or has the wrong top-level type.
    """
    path = os.fspath(path)
    _require_file(path)
    with open(path, encoding="utf-8") as handle:
        try:
            value = json.load(handle)
        except json.JSONDecodeError as error:
            reason = f"invalid JSON ({error.msg} at column {error.colno})"
            raise CRSDataError(path, error.lineno, None, reason) from error
    if not isinstance(value, expected):
        names = " or ".join(t.__name__ for t in _types(expected))
        raise CRSDataError(path, None, None, f"expected a JSON {names} at the top level, got {describe_type(value)}")
    return value


def iter_json_array(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields `(record_number, record)` for each object of a file holding one JSON array (1-based record numbers).

    The record number stands where `CRSDataError` puts a line number, so an error reads `file:3: dialog[2].role: ...`
    for the third record of the array.

    Raises:
        CRSDataError: the file is missing, is not valid JSON, is not an array, or an element is not an object.
    """
    path = os.fspath(path)
    records = read_json(path, list)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise CRSDataError(path, number, None, f"expected a JSON object, got {describe_type(record)}")
        yield number, record


def iter_tsv(path: str | os.PathLike, n_fields: int) -> Iterator[tuple[int, list[str]]]:
    """Yields `(line_number, fields)` for each non-blank line of a headerless tab-separated file.

    Only the line break is stripped, so an empty last field still counts as a field.

    Raises:
        CRSDataError: the file is missing or a line does not have exactly `n_fields` fields.
    """
    path = os.fspath(path)
    _require_file(path)
    with open(path, encoding="utf-8", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != n_fields:
                raise CRSDataError(path, line_no, None, f"expected {n_fields} tab-separated fields, got {len(fields)}")
            yield line_no, fields


def iter_csv(
    path: str | os.PathLike, columns: Sequence[str], delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields `(line_number, row)` for each data row of a CSV/TSV file with a header row naming at least `columns`.

    The line number is the row's first line (a quoted field may span several lines). Use `delimiter="\\t"` and
    `quoting=csv.QUOTE_NONE` for tab-separated files whose fields may contain quote characters.

    Raises:
        CRSDataError: the file is missing or empty, the header lacks a column, or a row has the wrong field count.
    """
    path = os.fspath(path)
    _require_file(path)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # OpenDialKG keeps whole dialogs in one field
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quoting=quoting)
        header = next(reader, None)
        if header is None:
            raise CRSDataError(path, None, None, f"file is empty: expected a header row with {', '.join(columns)}")
        missing = [column for column in columns if column not in header]
        if missing:
            raise CRSDataError(path, 1, missing[0], f"missing column (header has: {', '.join(header)})")
        start = reader.line_num + 1
        for fields in reader:
            line_no, start = start, reader.line_num + 1
            if not fields:
                continue
            if len(fields) != len(header):
                reason = f"expected {len(header)} fields like the header, got {len(fields)}"
                raise CRSDataError(path, line_no, None, reason)
            yield line_no, dict(zip(header, fields))
