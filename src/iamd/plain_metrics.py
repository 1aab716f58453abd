"""Counters and histograms kept in plain Python values, exposed by prometheus_client when scraped.

The client library's own Counter and Histogram take a lock on every ``inc`` (~4,900 instructions under
callgrind). Here a count is one attribute or list item updated in place: atomic under the GIL, since
CPython only switches threads at calls and backward jumps, and there are none between the read and the
write. ``Families.collect`` builds, at scrape time, the families the client library's classes would:
the same names, help, types, labels, buckets, sample order and ``_created`` times, so ``/metrics`` reads
byte for byte as before (tests/unit/test_plain_metrics.py compares the two).

For one process only: several workers count in the client library's multi-process files (telemetry.py).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from prometheus_client import metrics as library  # its _use_created (PROMETHEUS_DISABLE_CREATED_SERIES)
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import INF, floatToGoString


class Count:
    """One labelled counter's value."""

    __slots__ = ("value", "created")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount


class Observations:
    """One labelled histogram's sum and per-bucket counts (not cumulated: cumulated when collected)."""

    __slots__ = ("bounds", "buckets", "sum", "created")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.buckets = [0.0] * len(bounds)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        self.sum += amount
        self.buckets[bisect_left(self.bounds, amount)] += 1  # the first bound >= amount, as observe's walk


Child = TypeVar("Child", Count, Observations)


class _Family(Generic[Child]):
    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._children: dict[tuple[str, ...], Child] = {}
        if not self.labelnames:
            self._children[()] = self._child()

    def labels(self, *values: object) -> Child:
        if len(values) != len(self.labelnames):
            raise ValueError("Incorrect label count")
        key = tuple(str(value) for value in values)
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, self._child())  # one wins if two threads race
        return child

    def _child(self) -> Child:
        raise NotImplementedError

    def _labelled(self) -> list[tuple[list[str], Child]]:
        return [(list(key), child) for key, child in list(self._children.items())]


class CounterFamily(_Family[Count]):
    """A counter, with or without labels: ``labels(...)`` gives its ``Count``."""

    def _child(self) -> Count:
        return Count()

    def inc(self, amount: float = 1) -> None:
        self.labels().inc(amount)

    def collect(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = library._use_created
        for values, count in self._labelled():
            family.add_metric(values, count.value, created=count.created if created else None)
        return family


class HistogramFamily(_Family[Observations]):
    """A histogram, with or without labels: ``labels(...)`` gives its ``Observations``."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str] = (),
                 buckets: Iterable[float] = ()) -> None:
        bounds = [float(bound) for bound in buckets]
        if bounds[-1] != INF:
            bounds.append(INF)
        self.bounds = tuple(bounds)
        self._le = [floatToGoString(bound) for bound in self.bounds]
        super().__init__(name, documentation, labelnames)

    def _child(self) -> Observations:
        return Observations(self.bounds)

    def observe(self, amount: float) -> None:
        self.labels().observe(amount)

    def collect(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = library._use_created
        for values, observed in self._labelled():
            cumulated, total = [], 0.0
            for le, count in zip(self._le, list(observed.buckets), strict=True):
                total += count
                cumulated.append((le, total))
            family.add_metric(values, cumulated, observed.sum)  # the bounds here are positive: _count, _sum
            if created:
                family.add_sample(self.name + "_created", dict(zip(self.labelnames, values, strict=True)),
                                  observed.created)
        return family


class Families:
    """A prometheus_client collector of plain families, in the order given (their order in /metrics)."""

    def __init__(self, *families: CounterFamily | HistogramFamily) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return [family.collect() for family in self.families]

    def describe(self) -> list[Metric]:
        """The families without samples: the registry learns their names without collecting them."""
        return [Metric(family.name, family.documentation,
                       "counter" if isinstance(family, CounterFamily) else "histogram")
                for family in self.families]
