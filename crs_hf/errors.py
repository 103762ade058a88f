"""Exceptions raised by crs_hf.

One base class, `CRSHFError`, so callers can catch everything crs_hf raises on purpose; `CRSDataError` for
malformed input data, always naming the file, the line (or record) and the field so that a user can open the
file and fix it.
"""

from __future__ import annotations

import os

__all__ = ["CRSHFError", "CRSDataError"]


class CRSHFError(Exception):
    """Base class of every error crs_hf raises deliberately."""


class CRSDataError(CRSHFError, ValueError):
    """A raw data file is malformed.

    Printed as ``path:line: field: reason`` (the parts that are unknown are left out), e.g.
    ``data/en_dev.txt:12: conversation: expected a list of strings, got dict``.

    Args:
        path: the file (or folder) that holds the bad data.
        line: 1-based line number, or record number for formats without lines; `None` if it concerns the whole file.
        field: the field (JSON key, column) that is wrong; `None` if the record as a whole is wrong.
        reason: what is wrong, saying what was expected and what was found.
    """

    def __init__(self, path: str | os.PathLike | None, line: int | None, field: str | None, reason: str):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.field = field
        self.reason = reason
        super().__init__(str(self))

    def __reduce__(self):  # keep the structured fields when pickled across processes
        return (type(self), (self.path, self.line, self.field, self.reason))

    def __str__(self) -> str:
        location = self.path or "<input>"
        if self.line is not None:
            location += f":{self.line}"
        return f"{location}: {self.field}: {self.reason}" if self.field else f"{location}: {self.reason}"
