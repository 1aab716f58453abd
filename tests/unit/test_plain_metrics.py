"""plain_metrics: /metrics reads byte for byte as with the client library's own Counter and Histogram."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from iamd import plain_metrics, telemetry

VALUES = [0.0, 0.0001, 0.0005, 0.00050001, 0.001, 0.003, 0.0025, 0.2, 2.5, 2.6, 1000.0]
DEFINITIONS = (("counter", "t_requests", "Requests, by service", ("service", "operation", "status")),
               ("histogram", "t_seconds", "Latency", ("service",)),
               ("counter", "t_decisions", "Decisions", ("outcome",)),
               ("histogram", "t_database_seconds", "Database time", ()),
               ("counter", "t_unlabelled", "No labels", ()))


def _library(registry):
    return [Counter(name, text, labels, registry=registry) if kind == "counter"
            else Histogram(name, text, labels, buckets=telemetry._LATENCY_BUCKETS, registry=registry)
            for kind, name, text, labels in DEFINITIONS]


def _plain(registry):
    families = [plain_metrics.CounterFamily(name, text, labels) if kind == "counter"
                else plain_metrics.HistogramFamily(name, text, labels, buckets=telemetry._LATENCY_BUCKETS)
                for kind, name, text, labels in DEFINITIONS]
    registry.register(plain_metrics.Families(*families))
    return families


def _exposition(make) -> str:
    """The same calls on either kind, children made at first use in an unsorted order, then a scrape."""
    registry = CollectorRegistry(auto_describe=True)
    requests, latency, decisions, database, unlabelled = make(registry)
    decisions.labels("allowed"), decisions.labels("denied")  # made before any use, as service/ does
    for index, value in enumerate(VALUES):
        service = ("sts", "iam")[index % 2]
        requests.labels(service, "GetUser", 200 if index % 3 else 403).inc()
        latency.labels(service).observe(value)
        database.observe(value / 3)
        decisions.labels("denied" if index % 4 == 0 else "allowed").inc(2)
        unlabelled.inc(index * 0.5)
    requests.labels("iam", "ListUsers", "200")
    # The _created times are each child's clock reading: the same lines, their values told apart.
    return re.sub(r"(_created.*) \S+$", r"\1 TIME", generate_latest(registry).decode(), flags=re.MULTILINE)


def test_the_exposition_is_the_client_librarys():
    ours = _exposition(_plain)
    assert ours == _exposition(_library)
    assert 't_seconds_bucket{le="0.001",service="sts"}' in ours and "t_requests_created" in ours


def test_the_exposition_without_created_series(monkeypatch):
    monkeypatch.setattr(plain_metrics.library, "_use_created", False)
    ours = _exposition(_plain)
    assert ours == _exposition(_library) and "_created" not in ours


def test_the_client_librarys_refusals():
    with pytest.raises(ValueError):
        plain_metrics.CounterFamily("t_refused", "", ("a",)).labels("x").inc(-1)
    with pytest.raises(ValueError):
        plain_metrics.CounterFamily("t_refused", "", ("a",)).labels("x", "y")


def test_one_process_counts_in_plain_values_exposed_by_the_default_registry():
    assert not telemetry._SHARED and isinstance(telemetry.REQUESTS, plain_metrics.CounterFamily)
    before = telemetry.REGISTRY.get_sample_value("iamd_cache_lookups_total",
                                                 {"cache": "principal_policies", "result": "hit"}) or 0.0
    telemetry.CACHE.labels("principal_policies", "hit").inc()
    assert telemetry.REGISTRY.get_sample_value("iamd_cache_lookups_total",
                                               {"cache": "principal_policies", "result": "hit"}) == before + 1
