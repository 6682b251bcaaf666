"""What OLF remembers of one customer: its latest applied version and profile."""

from __future__ import annotations

import faust

from models.customer_event import CustomerProfile


class CustomerState(faust.Record, serializer="json"):
    """Latest applied state of one customer; a deleted one is a tombstone.

    A tombstone keeps only the version, so a replayed or late older event
    stays a duplicate after the delete. ``offset`` is the input offset of the
    event that produced this state (see :mod:`tables.statistics` for why).
    """

    version: int
    offset: int
    country: str | None = None
    segment: str | None = None
    status: str | None = None

    @classmethod
    def of(cls, version: int, offset: int, profile: CustomerProfile | None) -> CustomerState:
        """State after applying the event at ``offset`` (``profile`` None: deleted)."""
        if profile is None:
            return cls(version=version, offset=offset)
        return cls(
            version=version,
            offset=offset,
            country=profile.country,
            segment=profile.segment,
            status=profile.status,
        )

    @property
    def profile(self) -> CustomerProfile | None:
        """The counted attributes, or None for a deleted customer."""
        if self.country is None or self.segment is None or self.status is None:
            return None
        return CustomerProfile(self.country, self.segment, self.status)
