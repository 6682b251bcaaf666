"""The benchmark reads wrk's report right (``dev/benchmark/http_load.py``)."""

from __future__ import annotations

import pytest

from dev.benchmark.http_load import LoadFailed, parse_wrk
from dev.benchmark.results import Load

REPORT = """Running 10s test @ http://127.0.0.1:18777/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   695.95us  282.37us   3.85ms   94.53%
    Req/Sec     5.90k   722.78     6.85k    63.64%
  Latency Distribution
     50%  641.00us
     75%  726.00us
     90%  834.00us
     99%    1.02s
  64560 requests in 10.10s, 12.70MB read
  Socket errors: connect 0, read 2, write 0, timeout 12
  Non-2xx or 3xx responses: 5
Requests/sec:   6391.08
Transfer/sec:      1.26MB
"""


def test_rate_percentiles_and_every_kind_of_error_are_read() -> None:
    assert parse_wrk(REPORT) == Load(6391.08, 0.641, 1020.0, 19)


def test_a_report_without_percentiles_is_refused() -> None:
    with pytest.raises(LoadFailed):
        parse_wrk(REPORT.replace("  Latency Distribution", "").replace("     50%  641.00us\n", ""))
