"""`python -m bench`: the public pages against a bare Litestar app, in one run.

Every app is served by identical uvicorn subprocesses and loaded one after the other by the
same client, so their ratios are meaningful even though absolute figures depend on the machine.
The company page is also compared with its floor: the same queries and template with nothing
else around them (bench/bare_page.py). `python -m bench.search` and `python -m bench.imports`
measure search and the SIRENE import.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from types import FrameType
from typing import Any

import asyncpg

from app.dev.stack import embedded_redis
from bench import weight
from bench.load import MAX_CONNECTIONS, MAX_DURATION_S, MAX_WARMUP_S, LoadResult, run_load
from bench.servers import (
    RunningServer,
    ServerError,
    app_environment,
    run_migrations,
    uvicorn_server,
)

BUSY_CLIENT = 0.9  # above this share of a core, the client may be what limits the figures


DEMO_COMPANIES = 600  # fictitious companies seeded for the company page, a third scored


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    app: str
    factory: bool
    path: str = "/"
    needs_app_environment: bool = False
    compare_to: tuple[str, ...] = ("bare",)


def targets(home_app: str, home_factory: bool) -> list[Target]:
    return [
        Target("bare", "bare Litestar", "bench.bare:app", factory=False, compare_to=()),
        Target("home", "home page", home_app, factory=home_factory, needs_app_environment=True),
        Target(
            "company",
            "company page",
            home_app,
            factory=home_factory,
            path="/entreprises/{reference}",
            needs_app_environment=True,
            compare_to=("bare", "floor"),
        ),
        Target(
            "floor",
            "company page floor",
            "bench.bare_page:create_app",
            factory=True,
            path="/entreprises/{siren}",
            needs_app_environment=True,
        ),
    ]


def seed_companies(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.dev.demo_companies", "--count", str(DEMO_COMPANIES)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


SCORED_COMPANY = (
    "SELECT c.siren, c.slug FROM company c JOIN score s ON s.company = c.id"
    " WHERE s.value IS NOT NULL ORDER BY c.id LIMIT 1"
)


def scored_company(database_url: str) -> dict[str, str]:
    """The path values of a scored company (its SIREN and reference), on either engine."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            row = connection.execute(SCORED_COMPANY).fetchone()
    else:

        async def fetch() -> Any:
            connection = await asyncpg.connect(database_url)
            try:
                return await connection.fetchrow(SCORED_COMPANY)
            finally:
                await connection.close()

        row = asyncio.run(fetch())
    if row is None:
        raise ServerError(f"no scored company in {database_url}")
    siren, slug = row[0], row[1]
    return {"siren": siren, "reference": f"{siren}-{slug}"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--duration", type=float, default=5.0, help="measured seconds per target (default 5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)"
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent keep-alive connections (32)"
    )
    parser.add_argument(
        "--only",
        choices=["bare", "home", "company", "floor"],
        action="append",
        help="measure only these targets (repeatable)",
    )
    parser.add_argument(
        "--database-url",
        help="serve the pages from this database, already seeded (e.g. a registry of a million"
        " companies: python -m app.dev.demo_companies --count 1000000 --scored 600); default: a"
        f" fresh SQLite database with {DEMO_COMPANIES} demo companies",
    )
    parser.add_argument(
        "--home-app",
        default="app.main:app_from_env",
        help="module:attribute serving the home page (default app.main:app_from_env)",
    )
    parser.add_argument(
        "--home-factory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether --home-app is a factory to call (uvicorn --factory); default yes",
    )
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be more than 0 and at most {MAX_DURATION_S:.0f}")
    if not 0 <= args.warmup <= MAX_WARMUP_S:
        parser.error(f"--warmup must be between 0 and {MAX_WARMUP_S:.0f}")
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        parser.error(f"--connections must be between 1 and {MAX_CONNECTIONS}")
    return args


def measure_all(
    chosen: list[Target], args: argparse.Namespace
) -> tuple[dict[str, LoadResult], weight.PageWeight | None]:
    """Start every chosen server, load each in turn, and stop them all whatever happens.

    The home page's weight (its CSS and JavaScript) is measured on its server too.
    """
    results: dict[str, LoadResult] = {}
    page_weight = None
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(TemporaryDirectory(prefix="ponctuel-bench-")))
        servers: dict[str, RunningServer] = {}
        app_env: dict[str, str] | None = None
        values: dict[str, str] = {}
        paths: dict[str, str] = {}
        for target in chosen:
            env = dict(os.environ)
            if target.needs_app_environment:
                if app_env is None:
                    redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
                    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
                    app_env = app_environment(database_url, redis_url)
                    run_migrations(app_env)
                    if not args.database_url:
                        print(f"seeding {DEMO_COMPANIES} demo companies…", file=sys.stderr)
                        seed_companies(app_env)
                    values = scored_company(database_url)
                env = app_env
            paths[target.name] = target.path.format(**values)
            servers[target.name] = stack.enter_context(
                uvicorn_server(
                    target.app,
                    factory=target.factory,
                    env=env,
                    log_path=workdir / f"{target.name}.log",
                    ready_path=paths[target.name],
                )
            )
        for target in chosen:
            print(
                f"measuring {target.name}: GET {paths[target.name]}"
                f" on port {servers[target.name].port}, "
                f"{args.connections} connections, {args.warmup:g} s warm-up + "
                f"{args.duration:g} s…",
                file=sys.stderr,
            )
            results[target.name] = run_load(
                servers[target.name].port,
                paths[target.name],
                connections=args.connections,
                duration=args.duration,
                warmup=args.warmup,
                server_cpu_seconds=servers[target.name].cpu_seconds,
            )
        if "home" in servers:
            page_weight = weight.measure(f"http://127.0.0.1:{servers['home'].port}")
    return results, page_weight


def ratios(chosen: list[Target], results: dict[str, LoadResult]) -> dict[str, dict[str, float]]:
    """Each target divided by each baseline it is compared to: throughput and latencies."""

    def divide(a: float, b: float) -> float:
        return a / b if b else math.nan

    found = {}
    for target in chosen:
        for baseline in target.compare_to:
            if baseline in results and target.name in results:
                mine, theirs = results[target.name], results[baseline]
                found[f"{target.name}/{baseline}"] = {
                    "rps": divide(mine.rps, theirs.rps),
                    "p50": divide(mine.p50_ms, theirs.p50_ms),
                    "p99": divide(mine.p99_ms, theirs.p99_ms),
                }
    return found


def share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0%}"


def print_report(chosen: list[Target], results: dict[str, LoadResult]) -> None:
    print(
        f"{'target':<8}{'requests':>10}{'errors':>8}{'non-2xx':>9}{'rps':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'server cpu':>12}{'client cpu':>12}"
    )
    for target in chosen:
        r = results[target.name]
        print(
            f"{target.name:<8}{r.requests:>10}{r.errors:>8}{r.non_2xx:>9}{r.rps:>11.1f}"
            f"{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{share(r.server_cpu):>12}{share(r.client_cpu):>12}"
        )
    labels = {target.name: target.label for target in targets("", True)}
    for pair, ratio in ratios(chosen, results).items():
        mine, theirs = pair.split("/")
        print(
            f"{labels[mine]} vs {labels[theirs]}: {ratio['rps']:.2f}x rps, "
            f"p50 {ratio['p50']:.1f}x, p99 {ratio['p99']:.1f}x"
        )
    for target in chosen:
        if results[target.name].client_cpu > BUSY_CLIENT:
            print(
                f"warning: the load generator was busy {share(results[target.name].client_cpu)} "
                f"of a core during {target.name}; that figure may be limited by the client",
                file=sys.stderr,
            )


def write_json(
    path: str, chosen: list[Target], args: argparse.Namespace, results: dict[str, LoadResult]
) -> None:
    def finite(value: float) -> float | None:
        return value if math.isfinite(value) else None

    document = {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "results": {
            target.name: {
                "label": target.label,
                "app": target.app,
                "path": target.path,
                **{key: finite(value) for key, value in asdict(results[target.name]).items()},
            }
            for target in chosen
        },
        "ratios": {
            pair: {key: finite(value) for key, value in ratio.items()}
            for pair, ratio in ratios(chosen, results).items()
        },
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n")


def failures(chosen: list[Target], results: dict[str, LoadResult]) -> list[str]:
    """Reasons the figures cannot be trusted: errors, non-2xx answers or no answers at all."""
    problems = []
    for target in chosen:
        r = results[target.name]
        if r.requests == 0:
            problems.append(f"{target.name}: no request completed")
        if r.non_2xx:
            problems.append(f"{target.name}: {r.non_2xx} responses were not 2xx")
        if r.errors:
            problems.append(f"{target.name}: {r.errors} requests failed")
    return problems


def interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Handle SIGTERM like Ctrl-C, so that the servers are stopped the same way."""
    signal.raise_signal(signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [
        t for t in targets(args.home_app, args.home_factory) if not args.only or t.name in args.only
    ]
    signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    try:
        results, page_weight = measure_all(chosen, args)
    except ServerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    print_report(chosen, results)
    if json_path := os.environ.get("BENCH_JSON"):
        write_json(json_path, chosen, args, results)
    problems = failures(chosen, results)
    if page_weight is not None:
        problems += weight.report(page_weight)
    for problem in problems:
        print(f"error: {problem}; these figures are not a measurement", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
