"""``python -m orders_service serve|migrate|simulate|reconcile|republish``.

Exit codes (:mod:`infrastructure.command_line`, as the Customer service's):
0 success; 1 ``reconcile`` found drift; 2 the command could not do its work
(bad settings, no database or one at another schema version, OLF or the
Customer service unreachable, no quiet moment, interrupted by Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

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
from orders_service.migrations import LATEST_VERSION, migrate
from orders_service.order_store import OrderStore
from orders_service.reconciliation import NotReconcilable, drift_table, reconcile
from orders_service.republish import republish
from orders_service.service import serve
from orders_service.settings import Settings, env_var_name
from orders_service.simulator import simulate


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = start("orders_service", Settings.from_env)
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
    if command == "republish":
        return _republish(args, settings)
    try:
        return run_until_signalled(_reconcile(args, settings))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("reconcile: interrupted before it could compare", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orders_service",
        description="The Orders service; settings come from ORDERS_SERVICE_* variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the API and the outbox relay")
    commands.add_parser("migrate", help="bring the database schema up to date, then exit")

    simulate_parser = commands.add_parser(
        "simulate", help="place and cancel orders for the Customer service's live customers"
    )
    simulate_parser.add_argument(
        "--requests", type=int, default=500, help="requests to send; 0: until Ctrl-C"
    )
    simulate_parser.add_argument("--rate", type=float, default=2.0, help="requests per second")
    simulate_parser.add_argument("--seed", type=int, default=None, help="for repeatable runs")
    simulate_parser.add_argument("--url", default=None, help="the service (default: its settings)")
    simulate_parser.add_argument(
        "--customer-service-url",
        default=None,
        help=f"where to list customers (default: {env_var_name('customer_service_url')})",
    )
    simulate_parser.add_argument(
        "--token", default=None, help=f"bearer token (default: {env_var_name('token')})"
    )

    reconcile_parser = commands.add_parser(
        "reconcile", help="compare the database with OLF's order statistics; exit 1 on drift"
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

    republish_parser = commands.add_parser(
        "republish",
        help="write a snapshot of every order to the outbox, so OLF can rebuild its totals",
    )
    republish_parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="orders per outbox transaction",
    )
    return parser


async def _migrate(settings: Settings) -> list[int]:
    database = Database(settings.database_url)
    try:
        return await migrate(database)
    finally:
        await database.close()


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    if args.rate <= 0 or args.requests < 0:
        print("simulate: --rate must be > 0, --requests >= 0", file=sys.stderr)
        return EXIT_FAILED
    work = simulate(
        base_url=args.url or settings.base_url,
        token=args.token or settings.token,
        customer_service_url=args.customer_service_url or settings.customer_service_url,
        requests=args.requests,
        rate=args.rate,
        seed=args.seed,
    )
    # Ctrl-C or SIGTERM end a simulation normally; it prints its summary either way.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        try:
            run_until_signalled(work)
        except RuntimeError as exc:
            print(f"simulate: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


async def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        if not await _schema_is_current(database, "reconcile"):
            return EXIT_FAILED
        drift = await reconcile(OrderStore(database), args.olf_url, args.wait, args.settle)
    except NotReconcilable as exc:
        print(f"reconcile: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await database.close()
    if not drift:
        print("reconcile: no drift: OLF's order totals equal the service's database")
        return EXIT_OK
    print(f"reconcile: DRIFT in {len(drift)} numbers\n{drift_table(drift)}")
    return EXIT_DRIFT


def _republish(args: argparse.Namespace, settings: Settings) -> int:
    if args.batch_size < 1:
        print("republish: --batch-size must be >= 1", file=sys.stderr)
        return EXIT_FAILED
    try:
        return run_until_signalled(_write_snapshots(settings, args.batch_size))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("republish: interrupted (rerun it: it is harmless)", file=sys.stderr)
        return EXIT_FAILED


async def _write_snapshots(settings: Settings, batch_size: int) -> int:
    """Republish, with progress lines (:func:`infrastructure.command_line.progress_lines`)."""
    database = Database(settings.database_url)
    try:
        if not await _schema_is_current(database, "republish"):
            return EXIT_FAILED
        print("republish: writing snapshots of every order to the outbox", flush=True)
        written = await republish(database, batch_size, progress_lines("republish", "orders"))
    finally:
        await database.close()
    print(
        f"republish: {written} snapshot events in the outbox; the Orders service's relay"
        " publishes them",
        flush=True,
    )
    return EXIT_OK


async def _schema_is_current(database: Database, command: str) -> bool:
    """Whether the database has this code's schema; says what to check when not."""
    return await schema_is_current(database, LATEST_VERSION, command, env_var_name("database_url"))
