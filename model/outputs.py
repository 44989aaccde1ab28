"""Output metadata (said once) and tidy pandas frames (docs/methodology.md §5).

:data:`METRICS` gives every output series its label, unit, description and how it
rolls up into quarters and years; the CLI, the app and the workbook all read it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import calendar_quarter, calendar_year, fiscal_quarter, fiscal_year, month_labels
from .engine import Projection
from .fileio import neutralise_cell

SUPPLIER_PREFIX = "supplier_revenue_usd:"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    symbol: str
    label: str
    unit: str
    description: str
    rollup: str  # sum | first | last | mean | max
    only_if: str = ""  # written only for products with allocations | actuals | tpp set


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "china_demand_units",
        "D(t)",
        "China demand",
        "units",
        "New Chinese orders this month after erosion, tariff effect and ramp.",
        "sum",
    ),
    MetricInfo(
        "backlog_units",
        "B(t)",
        "Backlog carried in",
        "units",
        "Unfilled orders carried into the month.",
        "first",
    ),
    MetricInfo(
        "open_orders_units",
        "O(t)",
        "Open orders",
        "units",
        "Orders open this month: new demand plus backlog.",
        "sum",
    ),
    MetricInfo(
        "us_shipments_units",
        "U(t)",
        "US shipments",
        "units",
        "Shipments of the product to US customers.",
        "sum",
    ),
    MetricInfo(
        "quota_room_units",
        "max(0, Room(t))",
        "Quota room",
        "units",
        "China units the US-allocation quota allows this month (open orders for "
        "quota-exempt products).",
        "last",
    ),
    MetricInfo(
        "china_allowance_units",
        "max(0, Left(t))",
        "China allowance left",
        "units",
        "Units China's approved batches still allow this month (0 outside active months).",
        "last",
        "allocations",
    ),
    MetricInfo(
        "production_units",
        "P(t)",
        "New production",
        "units",
        "New chips produced (zero while suppliers are paused).",
        "sum",
    ),
    MetricInfo(
        "china_shipments_units",
        "X(t)",
        "China shipments",
        "units",
        "Chips shipped to Chinese buyers.",
        "sum",
    ),
    MetricInfo(
        "shipments_actual",
        "actual(t)",
        "Reported actual",
        "flag",
        "1 where China shipments are a reported actual, 0 where they are projected.",
        "max",
        "actuals",
    ),
    MetricInfo(
        "inventory_units",
        "Inv(t+1)",
        "Inventory (end of month)",
        "units",
        "Finished chips in stock at the end of the month.",
        "last",
    ),
    MetricInfo(
        "asp_usd", "ASP(t)", "Selling price", "USD/unit", "Average selling price per chip.", "mean"
    ),
    MetricInfo(
        "gross_revenue_usd",
        "R(t)",
        "China gross revenue",
        "USD",
        "Vendor's gross revenue from Chinese buyers.",
        "sum",
    ),
    MetricInfo(
        "us_government_usd",
        "G(t)",
        "US government",
        "USD",
        "US government levy (revenue share or import tariff).",
        "sum",
    ),
    MetricInfo(
        "china_tariff_usd",
        "C(t)",
        "China tariff",
        "USD",
        "China's import tariff, paid by Chinese buyers to China.",
        "sum",
    ),
    MetricInfo(
        "test_lab_usd",
        "L(t)",
        "US test labs",
        "USD",
        "Fees paid to US third-party test labs.",
        "sum",
    ),
    MetricInfo(
        "vendor_retained_usd",
        "V(t)",
        "Vendor retained",
        "USD",
        "Vendor revenue after the levy and lab fees.",
        "sum",
    ),
    MetricInfo(
        "vendor_cogs_usd",
        "COGS(t)",
        "Vendor cost of goods",
        "USD",
        "Manufacturing cost of the chips shipped to China.",
        "sum",
    ),
    MetricInfo(
        "vendor_gross_profit_usd",
        "GP(t)",
        "Vendor gross profit",
        "USD",
        "Vendor retained revenue less cost of goods.",
        "sum",
    ),
    MetricInfo(
        "compute_tpp",
        "TPP(t)",
        "Compute exported (TPP)",
        "TPP",
        "Total Processing Performance of the chips shipped to China.",
        "sum",
        "tpp",
    ),
    MetricInfo(
        "compute_h100_equivalents",
        "H100e(t)",
        "Compute exported (H100-equivalents)",
        "H100e",
        "Compute shipped to China in H100-equivalents (TPP / 15,832).",
        "sum",
        "tpp",
    ),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}


def supplier_metric(supplier: str) -> str:
    return f"{SUPPLIER_PREFIX}{supplier}"


def metric_info(name: str) -> MetricInfo:
    """Metadata of a metric, including ``supplier_revenue_usd:<id>`` ones."""
    if name.startswith(SUPPLIER_PREFIX):
        sup = name[len(SUPPLIER_PREFIX) :]
        return MetricInfo(
            name,
            "S_k(t)",
            f"Supplier {sup}",
            "USD",
            f"Revenue of supplier '{sup}' from new production.",
            "sum",
        )
    return METRIC_BY_NAME[name]


def series(p: Projection) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` as an (N, P, H) array."""
    v, m = p.volumes, p.money
    return {
        "china_demand_units": v.demand,
        "backlog_units": v.backlog,
        "open_orders_units": v.open_orders,
        "us_shipments_units": v.us_shipments,
        "quota_room_units": v.quota_room,
        "production_units": v.production,
        "china_shipments_units": v.shipments,
        "inventory_units": v.inventory,
        "asp_usd": m.asp,
        "gross_revenue_usd": m.gross,
        "us_government_usd": m.government,
        "china_tariff_usd": m.china_tariff,
        "test_lab_usd": m.labs,
        "vendor_retained_usd": m.vendor_retained,
        "vendor_cogs_usd": m.cogs,
        "vendor_gross_profit_usd": m.gross_profit,
        "china_allowance_units": v.allowance_left,
        "shipments_actual": v.actual,
        "compute_tpp": m.compute_tpp,
        "compute_h100_equivalents": m.h100_equivalents,
    }


def product_metrics(p: Projection, j: int) -> list[MetricInfo]:
    """The metrics written for product ``j``: every unconditional one, plus the allowance
    where China's allocations are set, the actual flag where actuals are reported and
    compute where the TPP is set (docs/methodology.md §5)."""
    x = p.inputs
    present = {
        "": True,
        "allocations": x.has_allocations[j],
        "actuals": x.has_actuals[j],
        "tpp": x.has_tpp[j],
    }
    return [mi for mi in METRICS if present[mi.only_if]]


def product_suppliers(p: Projection) -> tuple[tuple[int, ...], ...]:
    """Per product, the indices of the suppliers listed in its bill of materials."""
    return p.inputs.bom_members


def _product_block(
    p: Projection,
    j: int,
    variant: int,
    arrays: Mapping[str, np.ndarray],
    suppliers: Sequence[np.ndarray],
) -> tuple[list[str], np.ndarray]:
    """Product ``j``'s metric names and their values, shape (H, metrics): the rows of
    the §5 long format in their order (month-major, metrics as :data:`METRICS` lists
    them, then the product's suppliers). ``arrays`` is :func:`series`, ``suppliers``
    each supplier's revenue, (N, P, H), both computed once for every product."""
    metrics = product_metrics(p, j)
    values = [arrays[mi.name][variant, j] for mi in metrics] + [
        suppliers[k][variant, j] for k in product_suppliers(p)[j]
    ]
    return product_metric_names(p, j), np.stack(values, axis=1)


def product_metric_names(p: Projection, j: int) -> list[str]:
    """The names of the metrics written for product ``j``, in the order of the §5 long
    format: :func:`product_metrics`, then its suppliers' revenue."""
    x = p.inputs
    return [mi.name for mi in product_metrics(p, j)] + [
        supplier_metric(x.supplier_ids[k]) for k in product_suppliers(p)[j]
    ]


def metric_order(p: Projection) -> list[str]:
    """Every metric name of the long format in the order it first appears in it, as
    :func:`aggregate` orders a whole frame's metrics."""
    names = (n for j in range(len(p.inputs.product_ids)) for n in product_metric_names(p, j))
    return list(dict.fromkeys(names))


def supplier_series(p: Projection) -> list[np.ndarray]:
    """Each supplier's revenue ``S_k(t)``, (N, P, H), in the order of the supplier ids."""
    return [p.money.supplier(k) for k in range(len(p.inputs.supplier_ids))]


def long_frame(
    p: Projection, variant: int = 0, products: Sequence[int] | None = None
) -> pd.DataFrame:
    """The monthly projection in the §5 long format: ``month, product, metric, value``,
    for every product or for the ``products`` given (indices, in this order)."""
    x = p.inputs
    months = np.array(month_labels(x.start, x.months))
    blocks_m, blocks_p, blocks_k, blocks_v = [], [], [], []
    arrays, suppliers = series(p), supplier_series(p)
    for j in range(len(x.product_ids)) if products is None else products:
        pid = x.product_ids[j]
        names, stacked = _product_block(p, j, variant, arrays, suppliers)
        blocks_m.append(np.repeat(months, len(names)))
        blocks_p.append(np.full(stacked.size, pid, dtype=object))
        blocks_k.append(np.tile(np.array(names, dtype=object), x.months))
        blocks_v.append(stacked.ravel())
    return pd.DataFrame(
        {
            "month": np.concatenate(blocks_m),
            "product": np.concatenate(blocks_p),
            "metric": np.concatenate(blocks_k),
            "value": np.concatenate(blocks_v),
        }
    )


#: The columns of the §5 long format, in order.
LONG_COLUMNS = ("month", "product", "metric", "value")


def long_csv(p: Projection, variant: int = 0) -> Iterator[str]:
    """The §5 long format as CSV text, one product at a time: the same text as
    ``to_csv_text(long_frame(p, variant))`` without building the frame, so writing
    10,000 products × 36 months holds one product's rows in memory, not eight million.

    Yields the header line, then each product's lines (every line ends in a newline).
    """
    x = p.inputs
    arrays, suppliers = series(p), supplier_series(p)
    month_cells = [_csv_text_cell(m) for m in month_labels(x.start, x.months)]
    cells: dict[str, str] = {}  # metric name -> its cell, formatted once
    values = _ValueCells()
    yield ",".join(LONG_COLUMNS) + "\n"
    for j, pid in enumerate(x.product_ids):
        names, stacked = _product_block(p, j, variant, arrays, suppliers)
        name_cells = [cells.get(n) or cells.setdefault(n, _csv_text_cell(n)) for n in names]
        product_cell = _csv_text_cell(pid)
        lines = []
        for month, row in zip(month_cells, stacked.tolist(), strict=True):
            head = f"{month},{product_cell},"
            lines += [f"{head}{n},{values.cell(v)}" for n, v in zip(name_cells, row, strict=True)]
        lines.append("")
        yield "\n".join(lines)


def _number_cell(v: float) -> str:
    """A number as a CSV cell: empty for NaN, else :func:`format_value`."""
    return "" if v != v else format_value(v)


class _ValueCells:
    """:func:`_number_cell` with each distinct value formatted once: a projection repeats
    a few values (zeros, prices, capacities) many times."""

    def __init__(self) -> None:
        self._seen: dict[float, str] = {}

    def cell(self, v: float) -> str:
        text = self._seen.get(v)
        if text is None:
            text = _number_cell(v)
            if v == v:  # NaN never finds itself in a dict
                self._seen[v] = text
                if len(self._seen) > 100_000:  # values that never repeat: keep memory small
                    self._seen.clear()
        return text


def format_value(v: float) -> str:
    """A plain decimal: no exponent, no thousands separator, shortest round-trip digits."""
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e16:
        # Python's repr is the same shortest round-trip digits, and much faster; in this
        # range it never uses an exponent (a test compares both on random values).
        text = repr(float(v))
        return text[:-2] if text.endswith(".0") else text
    return np.format_float_positional(v, trim="-")


def _csv_text_cell(text: str) -> str:
    """Text as a CSV cell: never a formula, quoted only where it must be."""
    text = str(neutralise_cell(text))
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(values: pd.Series) -> list[str]:
    """A column's cells: numbers via :func:`_number_cell`, text via :func:`_csv_text_cell`
    (each distinct value formatted once)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        numbers = _ValueCells()
        return [numbers.cell(v) for v in values.astype(float).tolist()]
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    cells = np.array([_csv_any_cell(v) for v in uniques], dtype=object)
    return list(cells[codes]) if len(codes) else []


def _csv_any_cell(v: object) -> str:
    if isinstance(v, str):
        return _csv_text_cell(v)
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    return _number_cell(float(v))  # type: ignore[arg-type]


def to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text: numbers as plain decimals (NaN: empty), text quoted only where needed and
    never read as a formula by a spreadsheet (see :func:`model.fileio.neutralise_cell`).

    Built column by column (each distinct text formatted once), so a projection of
    thousands of products writes in seconds rather than minutes.
    """
    return "".join(csv_chunks(frame, max(len(frame), 1)))


def csv_chunks(frame: pd.DataFrame, rows: int = 100_000) -> Iterator[str]:
    """The text of :func:`to_csv_text` in pieces: the header line, then ``rows`` rows at
    a time (every piece ends in a newline), so the whole text is never held at once."""
    yield csv_header(frame)
    for start in range(0, len(frame), rows):
        yield csv_rows(frame.iloc[start : start + rows])


def csv_header(frame: pd.DataFrame) -> str:
    """The header line of :func:`to_csv_text`."""
    return ",".join(_csv_text_cell(str(c)) for c in frame.columns) + "\n"


def csv_rows(frame: pd.DataFrame) -> str:
    """The lines of :func:`to_csv_text` after its header: a row's line does not depend on
    the other rows, so the rows of a frame may be written a part at a time."""
    columns = [_csv_column(frame[c]) for c in frame.columns]
    return "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))


PERIODS = ("month", "calendar_quarter", "calendar_year", "fiscal_quarter", "fiscal_year")


def period_labels(months: list[str], period: str, fiscal_year_end_month: int) -> list[str]:
    if period == "month":
        return months
    if period == "calendar_quarter":
        return [calendar_quarter(m) for m in months]
    if period == "calendar_year":
        return [calendar_year(m) for m in months]
    if period == "fiscal_quarter":
        return [fiscal_quarter(m, fiscal_year_end_month) for m in months]
    if period == "fiscal_year":
        return [fiscal_year(m, fiscal_year_end_month) for m in months]
    raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")


def fiscal_calendars(p: Projection, variant: int = 0) -> dict[str, int]:
    """Each product's fiscal year-end month: its vendor's own calendar."""
    x = p.inputs
    return {pid: int(x.fiscal_year_end[variant, j]) for j, pid in enumerate(x.product_ids)}


def aggregate(
    frame: pd.DataFrame,
    period: str,
    fiscal_year_end_month: int | Mapping[str, int] = 1,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Roll a long frame up to calendar or fiscal periods, each metric by its own rule.

    Flows are summed; the backlog takes the period's first month, inventory and quota
    room its last, the price its mean, the actual flag its maximum. Fiscal periods
    follow each product's vendor when ``fiscal_year_end_month`` maps product ids to
    year-end months (see :func:`fiscal_calendars`); one number applies to all.
    Rows come by period, then product and metric in the order they first appear in
    the frame; ``metrics`` gives the metrics' order instead (that of the whole
    projection, when the frame holds some of its products: :func:`metric_order`).
    """
    if period == "month":
        return frame.rename(columns={"month": "period"})
    months = sorted(frame["month"].unique())
    calendars = (
        dict(fiscal_year_end_month)
        if isinstance(fiscal_year_end_month, Mapping)
        else dict.fromkeys(frame["product"].unique(), fiscal_year_end_month)
    )
    lookups = {
        fye: dict(zip(months, period_labels(months, period, fye), strict=True))
        for fye in set(calendars.values())
    }
    # Each row's label from its product's calendar and its month, looked up by codes:
    # iterating millions of text cells one by one takes seconds.
    month_code, month_text = pd.factorize(frame["month"])
    product_code, product_text = pd.factorize(frame["product"])
    year_ends = list(lookups)
    table = np.array([[lookups[fye][m] for m in month_text] for fye in year_ends], dtype=object)
    calendar_row = np.array([year_ends.index(calendars[p]) for p in product_text], dtype=int)
    labels = table[calendar_row[product_code], month_code] if len(frame) else []
    df = frame.assign(period=labels)
    rule = df["metric"].map({k: metric_info(k).rollup for k in df["metric"].unique()})
    parts = []
    for how in ("sum", "first", "last", "mean", "max"):
        sub = df[rule == how].sort_values("month", kind="stable")
        if len(sub):
            parts.append(
                sub.groupby(["period", "product", "metric"], sort=False)["value"]
                .agg(how)
                .reset_index()
            )
    out = pd.concat(parts, ignore_index=True)
    order = {c: {k: i for i, k in enumerate(pd.unique(frame[c]))} for c in ("product", "metric")}
    if metrics is not None:
        order["metric"] = {k: i for i, k in enumerate(metrics)}
    return out.sort_values(
        ["period", "product", "metric"],
        key=lambda s: s.map(order[str(s.name)]) if s.name in order else s,
        kind="stable",
    ).reset_index(drop=True)
