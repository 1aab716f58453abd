"""telemetry.request_answered: the client library's Histogram.observe, without its checks, to the same samples."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from iamd import telemetry

VALUES = [0.0, 0.0001, 0.0005, 0.00050001, 0.001, 0.003, 0.0025, 0.2, 2.5, 2.6, 1000.0, -0.001]


def _samples(registry: CollectorRegistry) -> list[tuple]:
    return [(sample.name.replace("theirs", "x").replace("ours", "x"), tuple(sorted(sample.labels.items())),
             sample.value)
            for metric in registry.collect() for sample in metric.samples if not sample.name.endswith("_created")]


def _histogram_samples(registry, name: str, labels: dict) -> list[tuple]:
    """A histogram's samples (but _created), by suffix and le, for the given labels."""
    return [(sample.name[len(name):], sample.labels.get("le"), sample.value)
            for metric in registry.collect() for sample in metric.samples
            if sample.name.startswith(name) and not sample.name.endswith("_created")
            and all(sample.labels.get(key) == value for key, value in labels.items())]


def test_request_answered_observes_as_the_client_library_does():
    registry = CollectorRegistry()
    latency = Histogram("theirs_latency", "", ("service",), buckets=telemetry._LATENCY_BUCKETS, registry=registry)
    database = Histogram("theirs_database", "", buckets=telemetry._LATENCY_BUCKETS, registry=registry)
    database_before = _histogram_samples(telemetry.REGISTRY, "iamd_database_seconds", {})
    for value in VALUES:
        latency.labels("observed").observe(value)
        database.observe(value / 2)
        telemetry.request_answered("observed", "TestOnly", 200, value, value / 2)
    assert (_histogram_samples(telemetry.REGISTRY, "iamd_request_seconds", {"service": "observed"})
            == _histogram_samples(registry, "theirs_latency", {"service": "observed"}))
    database_after = _histogram_samples(telemetry.REGISTRY, "iamd_database_seconds", {})
    added = [(suffix, le, after - before) for (suffix, le, before), (_, _, after)
             in zip(database_before, database_after, strict=True)]
    theirs = _histogram_samples(registry, "theirs_database", {})
    assert [sample[:2] for sample in added] == [sample[:2] for sample in theirs]
    assert [sample[2] for sample in added] == pytest.approx([sample[2] for sample in theirs])


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


def test_several_workers_count_the_same_in_the_client_librarys_files(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set (``iamd serve`` with several workers) telemetry counts in the client
    library's own values: the tests above, run again in a process of that kind."""
    if telemetry._SHARED:
        assert isinstance(telemetry.REQUESTS, Counter)
        return
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                          __file__], env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "4 passed" in run.stdout, run.stdout + run.stderr
    assert list(tmp_path.glob("counter_*.db")) and list(tmp_path.glob("histogram_*.db"))
