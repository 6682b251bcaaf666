"""``python -m customer_service serve|migrate|simulate|reconcile|republish``.

Exit codes (:mod:`infrastructure.command_line`): 0 success; 1 ``reconcile``
found drift (with ``--repair``: drift that republishing did not repair); 2 the
command could not do its work (bad settings, no database, OLF unreachable, no
quiet moment, interrupted by Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

from customer_service.customer_store import CustomerStore
from customer_service.migrations import LATEST_VERSION, migrate
from customer_service.reconciliation import (
    NotReconcilable,
    drift_table,
    drifting_buckets,
    reconcile,
)
from customer_service.republish import Buckets, republish
from customer_service.service import serve
from customer_service.settings import Settings, env_var_name
from customer_service.simulator import simulate
from infrastructure.command_line import (
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_OK,
    progress_lines,
    run_until_signalled,
    schema_is_current,
    start,
)
from infrastructure.database import Database
from infrastructure.republish import DEFAULT_BATCH_SIZE


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = start("customer_service", Settings.from_env)
    if settings is None:
        return EXIT_FAILED
    command: str = args.command
    if command == "serve":
        serve(settings)
        return EXIT_OK
    if command == "migrate":
        applied = run_until_signalled(_migrate(settings))
        print(f"migrated: applied {applied}" if applied else "the schema is up to date")
        return EXIT_OK
    if command == "simulate":
        return _simulate(args, settings)
    if args.batch_size < 1:
        print(f"{command}: --batch-size must be >= 1", file=sys.stderr)
        return EXIT_FAILED
    work = _republish(args, settings) if command == "republish" else _reconcile(args, settings)
    try:
        return run_until_signalled(work)
    except (KeyboardInterrupt, asyncio.CancelledError):
        done = "before it could compare" if command == "reconcile" else "(rerun it: it is harmless)"
        print(f"{command}: interrupted {done}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_service",
        description="The Customer service; settings come from CUSTOMER_SERVICE_* variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the API and the outbox relay")
    commands.add_parser("migrate", help="bring the database schema up to date, then exit")

    simulate_parser = commands.add_parser("simulate", help="drive the API with realistic traffic")
    simulate_parser.add_argument("--customers", type=int, default=200, help="population size")
    simulate_parser.add_argument(
        "--changes", type=int, default=2000, help="requests to send; 0: until Ctrl-C"
    )
    simulate_parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    simulate_parser.add_argument("--seed", type=int, default=None, help="for repeatable runs")
    simulate_parser.add_argument("--url", default=None, help="the service (default: its settings)")
    simulate_parser.add_argument(
        "--token", default=None, help=f"bearer token (default: {env_var_name('token')})"
    )

    reconcile_parser = commands.add_parser(
        "reconcile", help="compare the database with OLF's statistics; exit 1 on drift"
    )
    reconcile_parser.add_argument(
        "--olf-url",
        default=f"http://127.0.0.1:{os.environ.get('OLF_WEB_PORT', '6066')}",
        help="any OLF worker (default: http://127.0.0.1:$OLF_WEB_PORT)",
    )
    reconcile_parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for a quiet moment"
    )
    reconcile_parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds both sides must stay unchanged"
    )
    reconcile_parser.add_argument(
        "--repair",
        action="store_true",
        help="on drift, republish the live customers of drifting buckets and every deleted"
        " one, then compare again (--wait then also bounds the wait for the relay and OLF)",
    )

    republish_parser = commands.add_parser(
        "republish",
        help="write a snapshot of every customer to the outbox, so OLF can rebuild its counts",
    )
    for with_batches in (reconcile_parser, republish_parser):
        with_batches.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="customers per outbox transaction",
        )
    return parser


async def _migrate(settings: Settings) -> list[int]:
    database = Database(settings.database_url)
    try:
        return await migrate(database)
    finally:
        await database.close()


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    if args.rate <= 0 or args.customers < 1 or args.changes < 0:
        print("simulate: --rate and --customers must be > 0, --changes >= 0", file=sys.stderr)
        return EXIT_FAILED
    work = simulate(
        base_url=args.url or settings.base_url,
        token=args.token or settings.token,
        customers=args.customers,
        changes=args.changes,
        rate=args.rate,
        seed=args.seed,
    )
    # Ctrl-C or SIGTERM end a simulation normally; it prints its summary either way.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        run_until_signalled(work)
    return EXIT_OK


async def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        if not await _schema_is_current(database, "reconcile"):
            return EXIT_FAILED
        store = CustomerStore(database)
        drift = await reconcile(store, args.olf_url, args.wait, args.settle)
        if drift and args.repair:
            print(f"reconcile: DRIFT in {len(drift)} counts\n{drift_table(drift)}")
            await _write_snapshots(database, drifting_buckets(drift), args.batch_size)
            drift = await reconcile(store, args.olf_url, args.wait, args.settle)
            if drift:
                print(
                    "reconcile: republishing did not repair it: OLF most likely holds current"
                    " versions with other states, which snapshots cannot replace; start OLF"
                    " with a new app id and republish",
                    file=sys.stderr,
                )
    except NotReconcilable as exc:
        print(f"reconcile: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await database.close()
    if not drift:
        repaired = " (repaired)" if args.repair else ""
        print(f"reconcile: no drift{repaired}: OLF's counts equal the service's database")
        return EXIT_OK
    print(f"reconcile: DRIFT in {len(drift)} counts\n{drift_table(drift)}")
    return EXIT_DRIFT


async def _republish(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        if not await _schema_is_current(database, "republish"):
            return EXIT_FAILED
        await _write_snapshots(database, None, args.batch_size)
    finally:
        await database.close()
    return EXIT_OK


async def _write_snapshots(database: Database, buckets: Buckets | None, batch_size: int) -> None:
    """Republish, with progress lines (:func:`infrastructure.command_line.progress_lines`)."""
    which = "every customer" if buckets is None else "drifting buckets' customers and deleted ones"
    print(f"republish: writing snapshots of {which} to the outbox", flush=True)
    progress = progress_lines("republish", "customers")
    written = await republish(database, buckets, batch_size, progress)
    print(
        f"republish: {written} snapshot events in the outbox; the Customer service's relay"
        " publishes them",
        flush=True,
    )


async def _schema_is_current(database: Database, command: str) -> bool:
    """Whether the database has this code's schema; says what to check when not."""
    return await schema_is_current(database, LATEST_VERSION, command, env_var_name("database_url"))
