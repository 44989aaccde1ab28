"""Downloads (Excel workbook, monthly CSV, scenario YAML) and uploads (assumptions YAML,
scenario YAML or an edited workbook).

Downloads are built only when clicked (``st.download_button`` with a callable and
``on_click="ignore"``: no page rerun). Uploads go through the loader, so every
problem is reported at once, naming the file, the dotted path and the rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any

import streamlit as st
import yaml

from model.loader import (
    validate_raw,
)
from model.outputs import to_csv_text
from model.schema import Assumptions

from . import compute
from .catalog import (
    BASE_ID,
    CUSTOM_ID,
    Catalog,
    Reference,
    catalog,
)
from .fmt import escape_md
from .levers import same, value_at
from .notices import clip, plural, problems_text, summary
from .state import (
    CUSTOM_KEY,
    NOTICE_KEY,
    REF_KEY,
    reset,
    set_overrides,
)
from .uploads import MAX_UPLOAD_MB, read_upload

UPLOAD_KEY, UPLOAD_ERRORS, UPLOAD_DONE = "upload", "upload_errors", "upload_done"
UPLOAD_WARNINGS = "upload_warnings"
APP_SOURCE = "what-if set in the Chip Export Impact app"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- downloads


def csv_text(key: str) -> str:
    """The monthly projection of a what-if (cache key text) in the CSV format of
    docs/methodology.md §5."""
    return to_csv_text(compute.monthly(key))


def scenario_overrides(
    cat: Catalog, ref: Reference, current: Mapping[str, Any], whatif: Assumptions
) -> dict[str, Any]:
    """The what-if as overrides on the file a scenario overlays.

    Shipped references overlay the base, so the scenario's own overrides are merged
    with the user's; a custom reference is overlaid directly. Paths whose value ends
    up equal to the underlying file's are left out.
    """
    on = ref.assumptions if ref.id == CUSTOM_ID else cat.base.assumptions
    candidates = list(dict.fromkeys([*(() if ref.id == CUSTOM_ID else ref.overrides), *current]))
    out = {}
    for path in candidates:
        value = value_at(whatif, path)
        if not same(value, value_at(on, path)):
            out[path] = value
    return out


def scenario_yaml(
    cat: Catalog, ref: Reference, current: Mapping[str, Any], whatif: Assumptions
) -> str:
    """A scenario file holding only the what-if's overrides, with sources where known."""
    overrides = scenario_overrides(cat, ref, current, whatif)
    on = (
        f"the uploaded assumptions '{ref.name}'" if ref.id == CUSTOM_ID else "assumptions/base.yaml"
    )
    changed = ", ".join(current) or "nothing"
    doc = {
        "name": f"What-if on {ref.name}",
        "description": f"Overlays {on}. Starting point: {ref.name}. Changed in the app: {changed}.",
        "overrides": overrides,
        "sources": {
            k: (APP_SOURCE if k in current else ref.source(k) or APP_SOURCE) for k in overrides
        },
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


@lru_cache(maxsize=8)
def workbook_bytes(
    raws: tuple[str, ...], names: tuple[str, ...], descriptions: tuple[str, ...]
) -> bytes:
    """The Excel workbook (live formulas) of the what-if and, beside it, its reference.

    ``raws`` are JSON texts of assumptions mappings (sources included); the first is the
    active scenario. Built only when the download is clicked, then kept for a repeat.
    """
    from reports.workbook import build_workbook_bytes  # on demand: keeps the start fast

    variants = [validate_raw(json.loads(r), n) for r, n in zip(raws, names, strict=True)]
    return build_workbook_bytes(variants, list(names), list(descriptions))


def _workbook(
    ref: Reference, current: Mapping[str, Any], whatif_raw: Mapping[str, Any], whatif: Assumptions
) -> bytes:
    """The workbook of a what-if, its arguments written only when the download is clicked."""
    return workbook_bytes(*workbook_args(ref, current, whatif_raw, whatif))


def workbook_args(
    ref: Reference, current: Mapping[str, Any], whatif_raw: Mapping[str, Any], whatif: Assumptions
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What :func:`workbook_bytes` needs: the what-if first, the reference when comparable."""
    changes = ", ".join(current)
    raws, names = [json.dumps(whatif_raw, default=str)], [f"What-if on {ref.name}"]
    descriptions = [
        f"{ref.name} with these changes made in the app: {changes}."
        if current
        else f"{ref.name}, unchanged. {ref.description}"
    ]
    comparable = (
        whatif.horizon.start == ref.assumptions.horizon.start
        and whatif.horizon.months == ref.assumptions.horizon.months
        and [p.id for p in whatif.products] == [p.id for p in ref.assumptions.products]
    )
    if current and comparable:
        raws.append(json.dumps(ref.raw, default=str))
        names.append(ref.name)
        descriptions.append(ref.description)
    return tuple(raws), tuple(names), tuple(descriptions)


def _file_stem(ref: Reference) -> str:
    """The downloads' file name stem for a reference."""
    return "chip-export-" + re.sub(r"[^a-z0-9_]+", "-", ref.id.lower())


def download_buttons(
    cat: Catalog,
    ref: Reference,
    current: Mapping[str, Any],
    key: str,
    whatif_raw: Mapping[str, Any],
    whatif: Assumptions,
) -> None:
    """The what-if's downloads, each built only when its button is clicked."""
    stem = _file_stem(ref)
    items: list[tuple[str, Callable[[], str | bytes], str, str, str]] = [
        (
            "Excel workbook",
            partial(_workbook, ref, dict(current), whatif_raw, whatif),
            f"{stem}-whatif.xlsx",
            XLSX_MIME,
            "The model as live Excel formulas with this what-if's inputs (and, beside it, the "
            "selected scenario); edit the Inputs sheet and upload it back here.",
        ),
        (
            "Monthly CSV",
            partial(csv_text, key),
            f"{stem}-monthly.csv",
            "text/csv",
            "Every month, product and metric in the model's CSV format (docs/methodology.md §5).",
        ),
        (
            "Scenario YAML",
            partial(scenario_yaml, cat, ref, dict(current), whatif),
            f"{stem}-whatif.yaml",
            "application/x-yaml",
            "Only the overrides, as a scenario file: "
            "`python -m model project assumptions/base.yaml --scenario FILE --csv OUT.csv`.",
        ),
    ]
    for col, (label, build, name, mime, help_) in zip(st.columns(len(items)), items, strict=True):
        col.download_button(
            label,
            data=build,
            file_name=name,
            mime=mime,
            help=help_,
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    st.caption("The page address holds this what-if: copy it to share exactly this view.")


# ---------------------------------------------------------------- uploads


def _on_upload() -> None:
    """Read the uploaded file and make it the reference (or apply its overrides)."""
    f = st.session_state.get(UPLOAD_KEY)
    st.session_state[UPLOAD_ERRORS], st.session_state[UPLOAD_DONE] = [], ""
    st.session_state[UPLOAD_WARNINGS] = []
    if f is None:
        return
    up = read_upload(f.name, f.getvalue())
    if up.kind == "invalid":
        st.session_state[UPLOAD_ERRORS] = up.problems
        return
    st.session_state[NOTICE_KEY] = []
    st.session_state[UPLOAD_WARNINGS] = list(up.warnings)
    name = clip(f.name, 100)
    if up.kind == "assumptions" and up.reference is not None:
        st.session_state[CUSTOM_KEY] = up.reference
        st.session_state[REF_KEY] = CUSTOM_ID
        reset(up.reference)
        st.session_state[UPLOAD_DONE] = f"Loaded {name} as the custom scenario."
    else:
        st.session_state[REF_KEY] = BASE_ID
        set_overrides(catalog().base, up.overrides)
        st.session_state[UPLOAD_DONE] = (
            f"Applied {len(up.overrides)} overrides from {name} to the base assumptions."
        )


UPLOAD_CAPTION = f"Up to {MAX_UPLOAD_MB} MB: .yaml, .yml or .xlsx."


def upload_widget() -> None:
    """The uploader with its limit, and what became of the last upload."""
    st.file_uploader(
        "Assumptions YAML, scenario YAML or edited workbook",
        type=["yaml", "yml", "xlsx"],
        key=UPLOAD_KEY,
        on_change=_on_upload,
        max_upload_size=MAX_UPLOAD_MB,
        help="A full assumptions file, or a workbook downloaded here and edited in its "
        "Inputs sheet, becomes the 'Custom' scenario; a scenario file (name, "
        "description, overrides) is applied to the base assumptions.",
    )
    st.caption(UPLOAD_CAPTION)
    errors = st.session_state.get(UPLOAD_ERRORS) or []
    if errors:
        st.error(problems_text("The file was not loaded:", errors))
    elif st.session_state.get(UPLOAD_DONE):
        st.success(escape_md(st.session_state[UPLOAD_DONE]))
    warnings = st.session_state.get(UPLOAD_WARNINGS) or []
    if warnings:
        st.warning(summary(f"{plural(len(warnings), 'cell')} ignored by the import:", warnings))
