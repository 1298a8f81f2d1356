"""The mark for a statement short enough to skip the trip to SQLite's thread.

A hot-path INSERT, UPDATE or DELETE that touches a handful of rows by key is marked here;
db/onetrip.py runs it on the event loop once its transaction holds SQLite's write lock.
The mark is an SQL comment: PostgreSQL ignores it.
"""

from __future__ import annotations

from typing import Any

SHORT = "/* short */"


def short(statement: Any) -> Any:
    """The statement, marked short."""
    return statement.prefix_with(SHORT)


def is_short(operation: object) -> bool:
    return isinstance(operation, str) and operation.find(SHORT, 0, 32) != -1
