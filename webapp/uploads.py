"""Reading an uploaded file: an assumptions YAML or an edited workbook (a new reference),
or a scenario YAML (overrides on the base). No Streamlit here: the reading runs in its
own process (see :mod:`webapp.isolated`), started from a fork server that imports this
module once.

Uploads go through the loader and the workbook importer, so every problem is reported
at once, naming the file, the dotted path and the rule.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.gate import MB, check_size
from model.loader import InputError, Loaded, Problem, dump_assumptions, load, read_yaml

from .catalog import BASE_FILE, Reference, custom_reference
from .isolated import WorkFailedError, WorkTimeoutError, run_isolated
from .notices import clip

#: Every uploader's limit, also ``server.maxUploadSize`` in ``.streamlit/config.toml``.
MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * MB
#: Longest an upload may take to read (in its own process) before it is refused.
UPLOAD_SECONDS = 30.0
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """A checked upload: a custom reference, or overrides on the base, or problems."""

    kind: str  # assumptions | scenario | invalid
    reference: Reference | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _shown(problems: list[Problem], tmp: Path, name: str) -> list[str]:
    """Problems naming the uploaded file (not the temporary copy) and the base relatively."""
    names = {str(tmp): name, str(BASE_FILE): "assumptions/base.yaml"}
    return [str(dataclasses.replace(p, file=names.get(p.file, p.file))) for p in problems]


def _safe_name(name: str) -> str:
    """A file name safe to write in a temporary folder."""
    base = Path(name).name or "upload.yaml"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base)[:100]


def _yaml_upload(tmp: Path, name: str) -> Upload:
    """An uploaded YAML file: assumptions, a scenario, or a refused set."""
    try:
        raw = read_yaml(tmp)
        if "scenarios" in raw:
            return Upload(
                "invalid",
                problems=[
                    f"{name}: is a scenario set; upload an assumptions file, a scenario file "
                    "or a workbook (edit set probabilities in the Scenarios tab)"
                ],
            )
        if "overrides" in raw or ("name" in raw and "products" not in raw):
            loaded: Loaded = load(BASE_FILE, tmp)
            assert loaded.scenario is not None
            return Upload("scenario", overrides=dict(loaded.scenario.overrides))
        loaded = load(tmp)
    except InputError as exc:
        return Upload("invalid", problems=_shown(exc.problems, tmp, name))
    ref = custom_reference(name, f"Uploaded assumptions ({name}).", loaded.assumptions, loaded.raw)
    return Upload("assumptions", reference=ref)


def _workbook_upload(tmp: Path, name: str) -> Upload:
    """An uploaded workbook: the assumptions of its Inputs sheet."""
    from reports.xlsx_import import import_inputs  # on demand: keeps the start fast

    try:
        imported = import_inputs(tmp)
    except InputError as exc:
        return Upload("invalid", problems=_shown(exc.problems, tmp, name))
    a = imported.assumptions
    ref = custom_reference(
        name, f"Inputs sheet of the uploaded workbook {name}.", a, dump_assumptions(a)
    )
    warnings = [w.replace(str(tmp), name) for w in imported.warnings]
    return Upload("assumptions", reference=ref, warnings=warnings)


def read_upload(name: str, data: bytes) -> Upload:
    """Check an uploaded file: assumptions YAML or an edited workbook (a new reference),
    or a scenario YAML (overrides on the base).

    The size is checked before anything is parsed; the reading itself runs in its own
    process with a time limit (see :mod:`webapp.isolated`), so a large or hostile file
    never slows the server's other sessions, and the YAML loader and the workbook
    importer bound its work."""
    shown_name = clip(name, 100)
    try:
        check_size(len(data), MAX_UPLOAD_BYTES, shown_name, "uploads")
    except InputError as exc:
        return Upload("invalid", problems=[str(p) for p in exc.problems])
    try:
        return run_isolated(read_upload_here, name, data, timeout=UPLOAD_SECONDS)
    except WorkTimeoutError:
        return Upload(
            "invalid",
            problems=[
                f"{shown_name}: took more than {UPLOAD_SECONDS:g} s to read and was refused; "
                "is it much larger inside than its size suggests?"
            ],
        )
    except WorkFailedError as exc:
        LOG.error("Reading the upload %s failed:\n%s", shown_name, exc)
        return Upload("invalid", problems=[f"{shown_name}: could not be read"])


def read_upload_here(name: str, data: bytes) -> Upload:
    """:func:`read_upload`'s work, in the calling process (checked, never raising)."""
    shown_name = clip(name, 100)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder) / _safe_name(name)
        tmp.write_bytes(data)
        suffix = tmp.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _yaml_upload(tmp, shown_name)
        if suffix == ".xlsx":
            return _workbook_upload(tmp, shown_name)
        return Upload(
            "invalid",
            problems=[f"{shown_name}: unsupported file type; upload a .yaml, .yml or .xlsx file"],
        )
