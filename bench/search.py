"""`python -m bench.search`: the SIRENE import and company search on a generated registry.

For each engine (SQLite, then PostgreSQL) on a fresh database:

1. import the generated StockUniteLegale and StockEtablissement files with the project's own
   command (`python -m app.companies import-sirene`) in a child process, and print its rows/s
   and peak memory; on PostgreSQL beside a bare `COPY` of the same units file;
2. run about 500 searches as people type them (a prefix, a full name, a name with one typo,
   a SIREN) through `search_companies`, and print p50/p95 latency and the share of one-typo
   searches that find the intended company, beside the plain FTS/tsvector query of the same
   words, timed and scored the same way.

The files come from the demo generator (app/dev/demo_companies.py) and are kept in
var/bench-data, so a second run skips writing them. Before the big run, the import is also
run on 10,000 and 100,000 units so that its peak memory can be compared: it must stay flat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg

from app.companies.rules import normalise_name, parse_query
from app.companies.search import PER_PAGE, search_companies
from app.companies.tables import Company
from app.db import bind_engine, close_pool, engine_for, open_pool
from app.dev.stack import run_migrations
from app.piccolo_app import ALL_TABLES
from app.settings import ROOT, Settings

DATA_DIR = ROOT / "var" / "bench-data"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
QUERIES_PER_KIND = 125
KINDS = ("prefix", "full name", "one typo", "siren")
MEMORY_COUNTS = (10_000, 100_000)
TARGET_P95_MS = 20.0
TARGET_TYPO_HITS = 0.90
TARGET_IMPORT_ROWS_S = 100_000


def stock_files(count: int) -> tuple[Path, Path]:
    """The generated stock files of `count` companies, written once and kept."""
    folder = DATA_DIR / str(count)
    units, sieges = folder / "StockUniteLegale.csv", folder / "StockEtablissement.csv"
    if not (units.exists() and sieges.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        print(f"writing the stock files of {count:,} companies…", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "app.dev.demo_companies",
                "--count",
                str(count),
                "--stock-only",
                str(folder),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        found = sorted(folder.glob("*UniteLegale*.csv")), sorted(folder.glob("*Etablissement*.csv"))
        if found[0][0] != units:
            found[0][0].rename(units)
        if found[1][0] != sieges:
            found[1][0].rename(sieges)
    return units, sieges


@dataclass
class ImportRun:
    rows: int
    seconds: float
    peak_rss_mb: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def count_rows(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines) - 1


def run_import(env: dict[str, str], units: Path, sieges: Path) -> ImportRun:
    """The project's import in a child process: wall time and the peak memory it reports.

    The command's own figure (getrusage of itself) is read from its output: the rusage that
    waiting for the child returns would count the memory of this process, which the child
    shares until it starts the command.
    """
    command = [sys.executable, "-m", "app.companies", "import-sirene"]
    command += ["--units", str(units), "--establishments", str(sieges)]
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the import failed with status {done.returncode}")
    peak = re.search(rb"peak memory: (\d+) MiB", done.stderr)
    if peak is None:
        raise RuntimeError("the import did not report its peak memory")
    rows = count_rows(units) + count_rows(sieges)
    return ImportRun(rows=rows, seconds=seconds, peak_rss_mb=float(peak[1]))


async def bare_copy(database_url: str, files: Sequence[Path]) -> ImportRun:
    """COPY each file as it is into a table of text columns: PostgreSQL's own floor for reading
    the rows the import reads."""
    connection = await asyncpg.connect(database_url)
    seconds = 0.0
    try:
        for number, path in enumerate(files):
            header = path.open(encoding="utf-8").readline().strip().split(",")
            columns = ", ".join(f'"{name}" text' for name in header)
            await connection.execute(f"CREATE TEMP TABLE bare_{number} ({columns})")
            started = time.perf_counter()
            with path.open("rb") as source:
                await connection.copy_to_table(
                    f"bare_{number}", source=source, format="csv", header=True
                )
            seconds += time.perf_counter() - started
    finally:
        await connection.close()
    rows = sum(count_rows(path) for path in files)
    return ImportRun(rows=rows, seconds=seconds, peak_rss_mb=0.0)


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    siren: str


def _typo(word: str, rng: random.Random, variant: int) -> str:
    """One substitution, deletion, insertion or transposition, away from the first letter."""
    at = rng.randrange(1, len(word) - 1)
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[at]])
    if variant == 0:
        return word[:at] + letter + word[at + 1 :]
    if variant == 1:
        return word[:at] + word[at + 1 :]
    if variant == 2:
        return word[:at] + letter + word[at:]
    if word[at] == word[at + 1]:
        return word[:at] + letter + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


async def sample_queries(seed: int = 7) -> list[Query]:
    """About 500 searches for public companies spread over the registry.

    Companies whose exact name more than a page of active companies share are not picked
    ("PLOMBERIE MARTIN" forty times over): a search for that name shows a page of them, and
    which one of the forty is on it says nothing of the search. They are counted and printed.
    """
    rows = await Company.raw(
        "SELECT siren, name, name_norm FROM company WHERE diffusion = 'O'"
        " AND NOT is_natural_person AND name <> '' AND is_active ORDER BY id"
    )
    rng = random.Random(seed)
    drawn = rng.sample(rows, min(len(rows), QUERIES_PER_KIND * 3))
    tied = await _tied_names([row["name_norm"] for row in drawn])
    untied = [row for row in drawn if row["name_norm"] not in tied]
    picked = untied[: QUERIES_PER_KIND * 2]
    print(
        f"{len(drawn) - len(untied)} of {len(drawn)} companies drawn left out: more than"
        f" {PER_PAGE} active"
        " companies share their exact name"
    )
    queries: list[Query] = []
    typos = 0
    for row in picked:
        name, siren = row["name"], row["siren"]
        words = normalise_name(name).split()
        long_words = [w for w in words if len(w) >= 6]
        if len([q for q in queries if q.kind == "one typo"]) < QUERIES_PER_KIND and long_words:
            target = max(long_words, key=len)
            typed = " ".join(_typo(w, rng, typos % 4) if w == target else w for w in words)
            queries.append(Query("one typo", typed, siren))
            typos += 1
        if len([q for q in queries if q.kind == "prefix"]) < QUERIES_PER_KIND:
            queries.append(Query("prefix", name[: max(4, len(name) * 3 // 5)], siren))
        if len([q for q in queries if q.kind == "full name"]) < QUERIES_PER_KIND:
            queries.append(Query("full name", name, siren))
        if len([q for q in queries if q.kind == "siren"]) < QUERIES_PER_KIND:
            queries.append(Query("siren", f"{siren[:3]} {siren[3:6]} {siren[6:]}", siren))
    return queries


async def _tied_names(names: list[str]) -> set[str]:
    """The names among these that more than a page of active public companies share."""
    if not names:
        return set()
    marks = ", ".join("{}" for _ in names)
    rows = await Company.raw(
        f"SELECT name_norm FROM company WHERE name_norm IN ({marks}) AND is_active"  # noqa: S608
        " AND diffusion = 'O' AND NOT is_natural_person"
        f" GROUP BY name_norm HAVING count(*) > {PER_PAGE}",
        *names,
    )
    return {row["name_norm"] for row in rows}


@dataclass
class Timings:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    asked: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, hit: bool) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.hits[kind] = self.hits.get(kind, 0) + hit
        self.asked[kind] = self.asked.get(kind, 0) + 1

    def percentile(self, fraction: float, kind: str | None = None) -> float:
        values = sorted(v for k, vs in self.latencies.items() if kind in (None, k) for v in vs)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(fraction * len(values)))] * 1000

    def hit_rate(self, kind: str) -> float:
        return self.hits.get(kind, 0) / self.asked[kind] if self.asked.get(kind) else 0.0


async def run_searches(queries: Sequence[Query]) -> Timings:
    timings = Timings()
    for query in queries:
        started = time.perf_counter()
        page = await search_companies(parse_query(query.text))
        timings.add(
            query.kind, time.perf_counter() - started, query.siren in {h.siren for h in page.hits}
        )
    return timings


def _raw_sql(is_postgres: bool) -> tuple[str, Callable[[list[str]], str]]:
    if is_postgres:
        return (
            "SELECT siren FROM company WHERE to_tsvector('simple', name_norm || ' ' ||"
            " other_names_norm) @@ to_tsquery('simple', {}) LIMIT 21",
            lambda words: " & ".join([*words[:-1], words[-1] + ":*"]),
        )
    return (
        "SELECT c.siren FROM company_search JOIN company AS c ON c.id = company_search.rowid"
        " WHERE company_search MATCH {} LIMIT 21",
        lambda words: " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*',
    )


async def run_raw(queries: Sequence[Query], *, is_postgres: bool) -> Timings:
    """The plain full-text query of the same words, with nothing for typos or ranking."""
    sql, expression = _raw_sql(is_postgres)
    timings = Timings()
    for query in queries:
        words = normalise_name(query.text).split()
        started = time.perf_counter()
        if query.kind == "siren":
            rows = await Company.raw("SELECT siren FROM company WHERE siren = {}", query.siren)
        else:
            rows = await Company.raw(sql, expression(words)) if words else []
        timings.add(
            query.kind, time.perf_counter() - started, query.siren in {r["siren"] for r in rows}
        )
    return timings


def print_search(engine: str, ours: Timings, raw: Timings) -> list[str]:
    print(f"\nsearch on {engine} ({sum(ours.asked.values())} queries)")
    print(
        f"{'kind':<11}{'p50 ms':>9}{'p95 ms':>9}{'found':>8}"
        f"{'raw p50':>10}{'raw p95':>10}{'raw found':>11}"
    )
    for kind in KINDS:
        print(
            f"{kind:<11}{ours.percentile(0.5, kind):>9.2f}{ours.percentile(0.95, kind):>9.2f}"
            f"{ours.hit_rate(kind):>8.0%}{raw.percentile(0.5, kind):>10.2f}"
            f"{raw.percentile(0.95, kind):>10.2f}{raw.hit_rate(kind):>11.0%}"
        )
    p95, raw_p95 = ours.percentile(0.95), raw.percentile(0.95)
    print(
        f"all        p95 {p95:.2f} ms, {p95 / raw_p95:.1f}x the plain full-text query;"
        f" one-typo searches found {ours.hit_rate('one typo'):.0%}"
        f" (plain full text {raw.hit_rate('one typo'):.0%})"
    )
    misses = []
    if p95 > TARGET_P95_MS:
        misses.append(f"{engine}: search p95 {p95:.1f} ms is over {TARGET_P95_MS:.0f} ms")
    if ours.hit_rate("one typo") < TARGET_TYPO_HITS:
        misses.append(f"{engine}: one-typo hits {ours.hit_rate('one typo'):.0%} under 90 %")
    return misses


async def measure_engine(database_url: str, units: Path, sieges: Path) -> list[str]:
    is_postgres = database_url.startswith("postgres")
    engine_name = "PostgreSQL" if is_postgres else "SQLite"
    env = {**os.environ, "DATABASE_URL": database_url, "PICCOLO_CONF": "app.piccolo_conf"}
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    run_migrations(env)
    print(f"importing {units.parent.name} companies into {engine_name}…", file=sys.stderr)
    imported = run_import(env, units, sieges)
    print(
        f"\nimport on {engine_name}: {imported.rows:,} rows in {imported.seconds:.1f} s,"
        f" {imported.rows_per_s:,.0f} rows/s, peak memory {imported.peak_rss_mb:.0f} MiB"
    )
    misses = []
    if is_postgres:
        copied = await bare_copy(database_url, [units, sieges])
        share = imported.rows_per_s / copied.rows_per_s
        print(f"bare COPY of both files: {copied.rows_per_s:,.0f} rows/s; import is {share:.2f}x")
        if imported.rows_per_s < TARGET_IMPORT_ROWS_S:
            misses.append(f"import {imported.rows_per_s:,.0f} rows/s is under 100,000")
    return misses + await measure_search(database_url)


async def measure_search(database_url: str) -> list[str]:
    """The searches alone, on a registry already imported at `database_url`."""
    is_postgres = database_url.startswith("postgres")
    engine_name = "PostgreSQL" if is_postgres else "SQLite"
    env = {**os.environ, "DATABASE_URL": database_url}
    settings = Settings.from_env(env)
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    await open_pool(engine, size=2)
    try:
        queries = await sample_queries()
        await run_searches(queries[:50])  # warm the caches of both the index and Python
        ours = await run_searches(queries)
        raw = await run_raw(queries, is_postgres=is_postgres)
    finally:
        await close_pool(engine)
    return print_search(engine_name, ours, raw)


def memory_check(workdir: Path) -> list[str]:
    """The import's peak memory for 10,000 and 100,000 companies: flat within 20 %."""
    peaks = []
    for count in MEMORY_COUNTS:
        units, sieges = stock_files(count)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{workdir / f'memory-{count}.sqlite3'}",
            "PICCOLO_CONF": "app.piccolo_conf",
        }
        run_migrations(env)
        peaks.append(run_import(env, units, sieges).peak_rss_mb)
    print(
        f"\nimport peak memory: {peaks[0]:.0f} MiB for {MEMORY_COUNTS[0]:,} companies,"
        f" {peaks[1]:.0f} MiB for {MEMORY_COUNTS[1]:,} ({peaks[1] / peaks[0]:.2f}x)"
    )
    return [] if peaks[1] <= peaks[0] * 1.2 else ["the import's memory grows with the file"]


async def _postgres_database(name: str, *, drop: bool = False) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument(
        "--count", type=int, default=int(os.environ.get("BENCH_COMPANIES", 1_000_000))
    )
    parser.add_argument("--engine", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--no-memory-check", action="store_true")
    parser.add_argument(
        "--search-only",
        metavar="DATABASE_URL",
        action="append",
        help="only time the searches, on a registry already imported there (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.search_only:
        for url in args.search_only:
            for miss in asyncio.run(measure_search(url)):
                print(f"below target: {miss}", file=sys.stderr)
        return 0
    engines = args.engine or ["sqlite", "postgres"]
    units, sieges = stock_files(args.count)
    misses: list[str] = []
    with TemporaryDirectory(prefix="ponctuel-bench-search-") as folder:
        workdir = Path(folder)
        if not args.no_memory_check:
            misses += memory_check(workdir)
        for engine in engines:
            if engine == "sqlite":
                url = f"sqlite:///{workdir / 'registry.sqlite3'}"
                misses += asyncio.run(measure_engine(url, units, sieges))
                continue
            name = f"ponctuel_bench_{os.getpid()}"
            asyncio.run(_postgres_database(name))
            try:
                url = f"postgresql://postgres@127.0.0.1:5432/{name}"
                misses += asyncio.run(measure_engine(url, units, sieges))
            finally:
                asyncio.run(_postgres_database(name, drop=True))
    for miss in misses:
        print(f"below target: {miss}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
