"""Prometheus metrics, with the official client library: what ``/metrics`` shows.

Every layer may count here (requests in web/, decisions and cache hits in service/, database time in
store/); nothing here knows of them. With several worker processes each writes its samples to files
under ``PROMETHEUS_MULTIPROC_DIR`` (set by ``iamd serve`` before the workers start, as the client
library requires) and ``render`` adds them up, so any worker answers for all.
"""

from __future__ import annotations

import contextvars
import os
import time
from bisect import bisect_left
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

from iamd import plain_metrics

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# Several workers: each counts in the client library's multi-process files, which any worker adds up.
# One process: plain values (plain_metrics), without the client library's lock on every increment,
# exposed by the client library through a collector; /metrics reads the same either way.
_SHARED = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_counter: Any = Counter if _SHARED else plain_metrics.CounterFamily
_histogram: Any = Histogram if _SHARED else plain_metrics.HistogramFamily

REQUESTS = _counter("iamd_requests", "Requests answered, by service, operation and HTTP status",
                    ("service", "operation", "status"))
LATENCY = _histogram("iamd_request_seconds", "Time from the request's body read to its answer",
                     ("service",), buckets=_LATENCY_BUCKETS)
DECISIONS = _counter("iamd_authorization_decisions", "Authorization decisions by outcome", ("outcome",))
CACHE = _counter("iamd_cache_lookups", "Cache lookups on the authorization path, by cache and result",
                 ("cache", "result"))
DATABASE = _histogram("iamd_database_seconds", "Time a request spent in database statements",
                      buckets=_LATENCY_BUCKETS)
# "backpressure" says the buffer filled faster than the background flush emptied it.
DEFERRED_EVENTS = _counter("iamd_audit_deferred_events", "Read-only calls' events written from the in-memory "
                           "buffer, by what wrote them (background, reader, shutdown, backpressure)", ("by",))
if not _SHARED:
    REGISTRY.register(plain_metrics.Families(REQUESTS, LATENCY, DECISIONS, CACHE, DATABASE, DEFERRED_EVENTS))

# What one answered request adds to, bound once by (service, operation, status): its request counter and
# its service's latency histogram. tests/unit/test_telemetry_observe.py holds both ways to what the
# client library's inc and observe count.
_answered: dict[tuple[str, str, int], tuple] = {}


def _request_answered_here(service: str, operation: str, status: int, seconds: float,
                           database_seconds: float) -> None:
    """Count one answered request (service, operation, status, latency, database time): one process."""
    bound = _answered.get((service, operation, status))
    if bound is None:
        bound = _answered[(service, operation, status)] = (REQUESTS.labels(service, operation, str(status)),
                                                           LATENCY.labels(service))
    count, latency = bound
    count.value += 1
    latency.sum += seconds
    latency.buckets[bisect_left(_BOUNDS, seconds)] += 1  # the first bound >= seconds, as observe's walk
    _DATABASE.sum += database_seconds
    _DATABASE.buckets[bisect_left(_BOUNDS, database_seconds)] += 1


def _request_answered_shared(service: str, operation: str, status: int, seconds: float,
                             database_seconds: float) -> None:
    """Count one answered request (service, operation, status, latency, database time): several workers."""
    bound = _answered.get((service, operation, status))
    if bound is None:
        bound = _bind_shared(service, operation, status)
    count, latency_sum, latency_buckets = bound
    # Counter.inc and Histogram.observe without their checks (a child's amount here is never negative)
    # and observe's walk along the buckets: the client library cumulates the buckets when collected.
    # ``labels()`` validates and locks on every call: the values' ``inc`` are bound once.
    count(1)
    latency_sum(seconds)
    latency_buckets[bisect_left(_BOUNDS, seconds)](1)
    _database_sum(database_seconds)
    _database_buckets[bisect_left(_BOUNDS, database_seconds)](1)


def _bind_shared(service: str, operation: str, status: int) -> tuple:
    latency = LATENCY.labels(service)
    bound = (REQUESTS.labels(service, operation, str(status))._value.inc, latency._sum.inc,
             [bucket.inc for bucket in latency._buckets])
    _answered[(service, operation, status)] = bound
    return bound


if _SHARED:
    _BOUNDS = DATABASE._upper_bounds
    _database_sum = DATABASE._sum.inc
    _database_buckets = [bucket.inc for bucket in DATABASE._buckets]
    request_answered = _request_answered_shared
else:
    _BOUNDS = DATABASE.bounds
    _DATABASE = DATABASE.labels()
    request_answered = _request_answered_here


# The database time of the request being served; web/ reads it once per request.
_database_time: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("database_time", default=None)
# Its request id, for log lines written while it is served.
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def start_request(request_id: str) -> list[float]:
    """Begin counting database time for this request (its thread or task), and name it in log lines."""
    spent = [0.0]
    _database_time.set(spent)
    _request_id.set(request_id)
    return spent


def current_request_id() -> str:
    return _request_id.get()


def database_time(seconds: float) -> None:
    spent = _database_time.get()
    if spent is not None:
        spent[0] += seconds


# The clock of every duration measured here: perf_counter itself, no Python frame around it (four
# readings a request).
timer = time.perf_counter


def render() -> tuple[bytes, str]:
    """The exposition text of every metric, summed over worker processes when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # only meaningful in multi-process mode

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
