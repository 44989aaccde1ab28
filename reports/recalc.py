"""Recalculate exported workbooks in headless LibreOffice, trusting no cached value.

Used to check that the workbook's formulas give the core's numbers, and to time a
recalculation.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: LibreOffice profile settings: recalculate every formula when a file is loaded.
RECALC_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


_CACHED = re.compile(rb"(<f>[^<]*</f>)<v>[^<]*</v>")


def strip_cached(data: bytes) -> bytes:
    """The same workbook with every formula's cached value removed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                body = _CACHED.sub(rb"\1", body)
            dst.writestr(item, body)
    return out.getvalue()


def recalculate(soffice: str, files: Sequence[Path], outdir: Path, workers: int = 2) -> None:
    """Recalculate workbooks in headless LibreOffice, writing ``outdir/<same name>``.

    A throwaway profile sets "recalculation on file load: always", so LibreOffice
    never trusts cached values. Files are split over ``workers`` processes (one
    process slows down as it converts many documents); a file that did not come out
    is tried once more on its own before the run fails with LibreOffice's output.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    batches = [list(files[i::workers]) for i in range(workers) if files[i::workers]]
    logs: list[str] = []

    def run(batch: list[Path]) -> None:
        profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
        try:
            (profile / "user").mkdir()
            (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ON_LOAD)
            cmd = [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(outdir),
                *map(str, batch),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
            logs.append(f"exit {done.returncode}: {done.stdout[-500:]} {done.stderr[-500:]}")
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        list(pool.map(run, batches))
    for f in [f for f in files if not (outdir / f.name).is_file()]:
        run([f])
    missing = [f.name for f in files if not (outdir / f.name).is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice did not convert {missing}: {logs}")
