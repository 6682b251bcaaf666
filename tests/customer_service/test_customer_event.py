"""The contract test: every event the service writes passes OLF's own parser.

OLF's ``models.customer_event.parse_customer_event`` is the judge here, not a
copy of its rules: if either side changes the contract, this fails.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from customer_service import customer as service_rules
from customer_service.customer import Customer, ValidationFailed, validate_new_customer
from customer_service.customer_event import CREATED, DELETED, UPDATED, build_event
from customer_service.customer_store import CustomerStore
from customer_service.schema import outbox
from customer_service.simulator import simulate
from infrastructure.database import Database
from models import customer_event as olf_contract
from tests.customer_service.conftest import TOKEN, Client


def test_the_service_allows_exactly_the_values_olf_accepts() -> None:
    assert service_rules.SEGMENTS == olf_contract.SEGMENTS
    assert service_rules.STATUSES == olf_contract.STATUSES
    assert service_rules.COUNTRY_CODES == olf_contract.COUNTRY_CODES


bodies = st.fixed_dictionaries(
    {
        "name": st.text(min_size=0, max_size=210),
        "email": st.one_of(st.emails(), st.text(max_size=30)),
        "country": st.one_of(
            st.sampled_from(sorted(olf_contract.COUNTRY_CODES)), st.text(max_size=3)
        ),
        "segment": st.sampled_from([*olf_contract.SEGMENTS, "gold"]),
        "status": st.sampled_from([*olf_contract.STATUSES, "gone"]),
    }
)


@given(bodies, st.sampled_from([CREATED, UPDATED, DELETED]))
def test_every_customer_the_rules_accept_makes_an_event_olf_accepts(
    body: dict[str, str], event_type: str
) -> None:
    try:
        attributes = validate_new_customer(body)
    except ValidationFailed:
        return  # the API answers 422; nothing is written
    moment = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
    customer = Customer(
        "cust-1", **attributes, version=3, deleted=event_type == DELETED,
        created_at=moment, updated_at=moment,
    )  # fmt: skip
    changed = ["country"] if event_type == UPDATED else None

    event = build_event(customer, event_type, changed)
    parsed = olf_contract.parse_customer_event(event.key, event.value)

    assert (parsed.customer_id, parsed.version, parsed.type) == ("cust-1", 3, event_type)
    assert parsed.event_id == event.event_id
    assert parsed.occurred_at == moment
    if event_type == DELETED:
        assert parsed.profile is None
    else:
        assert parsed.profile == olf_contract.CustomerProfile(
            attributes["country"], attributes["segment"], attributes["status"]
        )
        assert orjson.loads(event.value)["customer"] == attributes


async def test_every_event_a_simulation_writes_passes_olfs_parser_in_version_order(
    client: Client, database: Database
) -> None:
    base_url = str(client.make_url("")).rstrip("/")
    tally = await simulate(base_url, TOKEN, customers=30, changes=300, rate=10_000, seed=7)
    assert sum(tally.failed.values()) == 0, tally.first_errors

    async with database.read() as connection:
        rows = (await connection.execute(select(outbox).order_by(outbox.c.id))).all()
    events = [
        olf_contract.parse_customer_event(row.customer_id.encode(), row.payload) for row in rows
    ]

    assert len(events) == 300
    assert len({event.event_id for event in events}) == 300
    history: defaultdict[str, list[olf_contract.CustomerEvent]] = defaultdict(list)
    for row, event in zip(rows, events, strict=True):
        assert (event.customer_id, event.version, event.type) == (
            row.customer_id,
            row.version,
            row.type,
        )
        history[event.customer_id].append(event)
    for customer_id, changes in history.items():
        assert [e.version for e in changes] == list(range(1, len(changes) + 1)), customer_id
        assert changes[0].type == olf_contract.CREATED
        assert all(e.type == olf_contract.UPDATED for e in changes[1:-1])
        assert [e.occurred_at for e in changes] == sorted(e.occurred_at for e in changes)
    types = {event.type for event in events}
    assert types == {CREATED, UPDATED, DELETED}, "the simulation should exercise every event type"


async def test_an_update_event_lists_only_the_fields_that_changed(store: CustomerStore) -> None:
    created = await store.create(
        {
            "name": "Ada",
            "email": "ada@example.com",
            "country": "NL",
            "segment": "smb",
            "status": "active",
        }
    )
    await store.update(created.customer_id, {"country": "DE", "segment": "smb", "name": "Ada B"})

    async with store.database.read() as connection:
        payloads = (await connection.scalars(select(outbox.c.payload).order_by(outbox.c.id))).all()

    update = orjson.loads(payloads[1])
    assert update["type"] == UPDATED
    assert update["changed"] == ["name", "country"]
    assert update["customer"] == {
        "name": "Ada B",
        "email": "ada@example.com",
        "country": "DE",
        "segment": "smb",
        "status": "active",
    }
