"""`python -m app.companies import-sirene --units FILE [--establishments FILE]`.

Imports INSEE's SIRENE stock files into the registry of DATABASE_URL, with a progress bar,
then lists the bad rows by line number. Run it again on the same file after an interruption:
it carries on from the last batch written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.clock import SystemClock
from app.companies.importers import (
    ImportKind,
    ImportReport,
    RegistryLoad,
    SireneFileError,
    import_file,
    registry_load,
)
from app.db import bind_engine, close_pool, engine_for, open_pool
from app.piccolo_app import ALL_TABLES
from app.settings import Settings

console = Console(stderr=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.companies")
    commands = parser.add_subparsers(dest="command", required=True)
    sirene = commands.add_parser("import-sirene", help="import INSEE's SIRENE stock files")
    sirene.add_argument("--units", type=Path, help="StockUniteLegale (CSV or zip)")
    sirene.add_argument("--establishments", type=Path, help="StockEtablissement (CSV or zip)")
    sirene.add_argument(
        "--batch-rows", type=int, default=None, help="rows per transaction (engine's default)"
    )
    return parser


async def _import(
    path: Path, kind: ImportKind, batch_rows: int | None, load: RegistryLoad
) -> ImportReport:
    with Progress(
        TextColumn(f"{kind.value:<14}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(kind.value, total=None, rows=0, rate=0.0)

        def show(rows: int, position: int, size: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            rate = rows / elapsed if elapsed else 0.0
            bar.update(task, completed=position, total=size, rows=rows, rate=rate)

        return await import_file(
            path, kind, clock=SystemClock(), batch_rows=batch_rows, progress=show, load=load
        )


def _summary(report: ImportReport) -> None:
    resumed = f", carried on from row {report.resumed_from:,}" if report.resumed_from else ""
    console.print(
        f"{report.kind.value}: {report.rows:,} rows read{resumed}, {report.written:,} written,"
        f" {report.skipped:,} skipped, {report.bad_count:,} bad"
    )
    for bad in report.bad_rows:
        console.print(f"  line {bad.line}: {bad.reason}")
    if report.bad_count > len(report.bad_rows):
        console.print(f"  … and {report.bad_count - len(report.bad_rows):,} more bad rows")


async def _run(arguments: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    await open_pool(engine, size=2)
    files = [
        (path, kind)
        for path, kind in (
            (arguments.units, ImportKind.UNITS),
            (arguments.establishments, ImportKind.ESTABLISHMENTS),
        )
        if path is not None
    ]
    try:
        for path, _ in files:
            if not path.is_file():
                console.print(f"{path}: no such file")
                return 2
        async with registry_load(SystemClock()) as load:
            if load.first:
                console.print("first load of the registry: search indexes built at the end")
            for path, kind in files:
                try:
                    _summary(await _import(path, kind, arguments.batch_rows, load))
                except SireneFileError as error:
                    console.print(f"{path}: {error}")
                    return 2
    finally:
        await close_pool(engine)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak memory: {peak_mib:.0f} MiB")
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.units is None and arguments.establishments is None:
        _parser().error("give --units, --establishments or both")
    return asyncio.run(_run(arguments))


if __name__ == "__main__":
    sys.exit(main())
