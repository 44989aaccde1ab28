"""The input gate: every file the project reads enters through here.

It turns a missing, unreadable or malformed file into an :class:`InputError`
naming the file, so no caller shows a traceback to a user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    rule: str
    value: Any = None
    has_value: bool = False

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        got = f" (got {self.value!r})" if self.has_value else ""
        return f"{where}: {self.rule}{got}"


class InputError(Exception):
    """Invalid input; ``problems`` lists every issue found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Load a YAML mapping, turning a missing file or bad syntax into an InputError."""
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError(
            [Problem(name, "", "file not found" if not p.exists() else "is not a regular file")]
        )
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError([Problem(name, "", "is not UTF-8 text (is it a YAML file?)")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError([Problem(name, "", f"malformed YAML{at}: {reason}")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "must be a YAML mapping of sections")])
    return data
