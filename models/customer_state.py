"""What OLF remembers of one customer: its latest applied version and profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from models.customer_event import CustomerProfile, profile_of
from models.json_rows import dump_row


@dataclass(frozen=True, slots=True)
class CustomerState:
    """Latest applied state of one customer; a deleted one is a tombstone.

    A tombstone keeps only the version, so a replayed or late older event
    stays a duplicate after the delete.
    """

    version: int
    profile: CustomerProfile | None

    @property
    def country(self) -> str | None:
        return None if self.profile is None else self.profile.country

    @property
    def segment(self) -> str | None:
        return None if self.profile is None else self.profile.segment

    @property
    def status(self) -> str | None:
        return None if self.profile is None else self.profile.status

    def encode(self) -> bytes:
        """The stored row: ``[version, country, segment, status]``, ``[version]`` if deleted."""
        if self.profile is None:
            return dump_row([self.version])
        profile = self.profile
        return dump_row([self.version, profile.country, profile.segment, profile.status])

    @classmethod
    def decode(cls, row: bytes) -> CustomerState:
        """The inverse of :meth:`encode`."""
        return cls.from_row(orjson.loads(row))

    @classmethod
    def from_row(cls, row: list[Any]) -> CustomerState:
        """A state from a decoded stored row (see :meth:`encode`)."""
        if len(row) == 1:
            return cls(int(row[0]), None)
        version, country, segment, status = row
        return cls(int(version), profile_of(country, segment, status))

    def to_json(self) -> dict[str, Any]:
        """The state as the workers' internal API sends it."""
        return {
            "version": self.version,
            "country": self.country,
            "segment": self.segment,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustomerState:
        """The inverse of :meth:`to_json`."""
        if data["country"] is None:
            return cls(int(data["version"]), None)
        return cls(
            int(data["version"]),
            CustomerProfile(data["country"], data["segment"], data["status"]),
        )
