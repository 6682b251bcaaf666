"""Whether a customer exists, asked of the Customer service: ``GET {url}/customers/{id}``.

The Customer service owns the customers, so the Orders service asks it on
every placement rather than keeping a copy that could lag behind. Three
answers: the customer is live (200), unknown or deleted (404), or the
question could not be answered (no connection, a timeout, a 5xx, or any
other status): then the order is refused with a 503 and nothing is written
(docs/orders-service.md, "When the Customer service is down"). Refusing is
the only choice that never stores an order for a customer who does not exist;
the client retries after ``Retry-After``.

Reads of the Customer service are open by default
(``CUSTOMER_SERVICE_OPEN_READS``); this client sends no token.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

import aiohttp


class CustomerCheckUnavailable(RuntimeError):
    """The Customer service could not say whether the customer exists; the message says why."""


class CustomerDirectory(Protocol):
    """Answers whether a customer exists."""

    async def exists(self, customer_id: str) -> bool:
        """Whether ``customer_id`` is a live customer.

        Raises:
            CustomerCheckUnavailable: no answer either way.
        """
        ...


class CustomerServiceDirectory:
    """Asks the Customer service at ``base_url``, waiting ``timeout`` seconds at most."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def exists(self, customer_id: str) -> bool:
        url = f"{self._base_url}/customers/{quote(customer_id, safe='')}"
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url) as response:
                if response.status == 200:
                    return True
                if response.status == 404:
                    return False
                raise CustomerCheckUnavailable(
                    f"the Customer service answered {response.status} to GET {url}"
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise CustomerCheckUnavailable(
                f"the Customer service did not answer GET {url}: {type(exc).__name__}"
            ) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
