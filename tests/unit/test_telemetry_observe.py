"""telemetry._observe: the client library's Histogram.observe, without its checks, to the same samples."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from iamd import telemetry

VALUES = [0.0, 0.0001, 0.0005, 0.00050001, 0.001, 0.003, 0.0025, 0.2, 2.5, 2.6, 1000.0, -0.001]


def _samples(registry: CollectorRegistry) -> list[tuple]:
    return [(sample.name.replace("theirs", "x").replace("ours", "x"), tuple(sorted(sample.labels.items())),
             sample.value)
            for metric in registry.collect() for sample in metric.samples if not sample.name.endswith("_created")]


@pytest.mark.parametrize("labelled", [False, True])
def test_observe_counts_as_the_client_library_does(labelled):
    registry = CollectorRegistry()
    names = ("service",) if labelled else ()
    theirs = Histogram("theirs", "", names, buckets=telemetry._LATENCY_BUCKETS, registry=registry)
    ours = Histogram("ours", "", names, buckets=telemetry._LATENCY_BUCKETS, registry=registry)
    if labelled:
        theirs, ours = theirs.labels("iam"), ours.labels("iam")
    for value in VALUES:
        theirs.observe(value)
        telemetry._observe(ours, value)
    mine = [s for s in _samples(registry) if s[0].startswith("x")]
    half = len(mine) // 2
    assert half and mine[:half] == mine[half:]


def test_request_answered_counts_one_request_and_both_histograms():
    def value(name, **labels):
        return telemetry.REGISTRY.get_sample_value(name, labels) or 0.0

    before = (value("iamd_requests_total", service="iam", operation="TestOnly", status="200"),
              value("iamd_request_seconds_count", service="iam"),
              value("iamd_request_seconds_bucket", service="iam", le="0.001"),
              value("iamd_database_seconds_count"), value("iamd_database_seconds_sum"))
    telemetry.request_answered("iam", "TestOnly", 200, 0.0007, 0.25)
    after = (value("iamd_requests_total", service="iam", operation="TestOnly", status="200"),
             value("iamd_request_seconds_count", service="iam"),
             value("iamd_request_seconds_bucket", service="iam", le="0.001"),
             value("iamd_database_seconds_count"), value("iamd_database_seconds_sum"))
    assert [b - a for a, b in zip(before, after, strict=True)] == pytest.approx([1, 1, 1, 1, 0.25])


def test_a_counters_value_is_where_request_answered_increments_it():
    counter = Counter("probe", "", ("x",), registry=CollectorRegistry()).labels("y")
    counter._value.inc(1)
    assert counter._value.get() == 1
