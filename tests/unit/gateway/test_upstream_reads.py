"""The gateway's caches of the upstream (resource_policies.py, lookups.py): one upstream read per key at a
time (flights.py), never shared across a forget, and a read that began before a forget not stored."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from iamd.gateway.flights import Flights
from iamd.gateway.lookups import Cold, UpstreamLookups
from iamd.gateway.resource_policies import ResourcePolicies, ResourcePolicyUnavailable
from iamd.gateway.upstream import READ_DEADLINE_SECONDS, Upstream, _client as upstream_client


def _policies() -> ResourcePolicies:
    return ResourcePolicies(upstream=None, ttl=60.0)  # type: ignore[arg-type]  # _cached reads no upstream


def _read_in_thread(policies: ResourcePolicies, load, answers: list[Any]) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(policies._cached(("s3", "b"), "s3", "b", load)))
    thread.start()
    return thread


def test_requests_missing_the_same_entry_at_once_share_one_read():
    policies, started, release, reads, answers = _policies(), threading.Event(), threading.Event(), [], []

    def load():
        reads.append(1)
        started.set()
        release.wait(10)
        return "the policy"

    first = _read_in_thread(policies, load, answers)
    assert started.wait(10)
    others = [_read_in_thread(policies, load, answers) for _ in range(5)]
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert answers == ["the policy"] * 6
    assert len(reads) == 1


def test_a_request_after_a_forget_does_not_take_a_read_that_began_before_it():
    policies, started, release, answers = _policies(), threading.Event(), threading.Event(), []
    texts = iter(["the old policy", "the new policy"])

    def load():
        text = next(texts)
        if text == "the old policy":
            started.set()
            release.wait(10)
        return text

    first = _read_in_thread(policies, load, answers)
    assert started.wait(10)
    policies.clear()  # as forget() after a forwarded PutBucketPolicy: bumps the count reads are tagged with
    second = _read_in_thread(policies, load, answers)
    second.join(10)
    release.set()
    first.join(10)
    assert answers == ["the new policy", "the old policy"]
    assert policies._cached(("s3", "b"), "s3", "b", lambda: "read again") == "the new policy"  # the old one not kept


def test_a_failed_read_fails_its_waiters_too_without_a_second_read():
    """A waiter waits for the read in flight and no longer (that read is bounded by the upstream's own
    timeouts): reading again after its failure would double the wait."""
    policies, started, release, calls, failures = _policies(), threading.Event(), threading.Event(), [], []

    def load():
        calls.append(1)
        started.set()
        release.wait(10)
        raise ResourcePolicyUnavailable("the upstream is down")

    def read() -> None:
        try:
            policies._cached(("s3", "b"), "s3", "b", load)
        except ResourcePolicyUnavailable as error:
            failures.append(str(error))

    failing = threading.Thread(target=read)
    failing.start()
    assert started.wait(10)
    waiter = threading.Thread(target=read)
    waiter.start()
    time.sleep(0.1)  # the waiter joins the read in flight
    release.set()
    failing.join(10)
    waiter.join(10)
    assert failures == ["the upstream is down"] * 2
    assert len(calls) == 1
    assert policies._cached(("s3", "b"), "s3", "b", lambda: "read afresh") == "read afresh"  # the failure not kept


def test_a_waiter_waits_no_longer_than_the_upstreams_own_timeouts():
    flights, started, release, raised = Flights(ResourcePolicyUnavailable, wait_seconds=0.2), threading.Event(), \
        threading.Event(), []

    def stalled():
        started.set()
        release.wait(10)
        return "late"

    leader = threading.Thread(target=lambda: flights.read("k", 0, stalled))
    leader.start()
    assert started.wait(10)
    began = time.monotonic()
    with pytest.raises(ResourcePolicyUnavailable, match="did not answer within 0.2 seconds"):
        flights.read("k", 0, lambda: raised.append("read again") or "again")
    assert time.monotonic() - began < 5
    assert raised == []  # no read of its own after the wait
    release.set()
    leader.join(10)


def test_the_wait_bound_is_the_upstream_clients_own():
    config = upstream_client(Upstream("http://127.0.0.1:1", {}), "s3", "123456789012", "us-east-1").meta.config
    attempts, connect, read = config.retries["total_max_attempts"], config.connect_timeout, config.read_timeout
    assert attempts * (connect + read) <= READ_DEADLINE_SECONDS <= attempts * (connect + read) + 10


class _Tables:
    """A stand-in upstream whose DescribeTable waits for ``release`` on the first call, counting calls."""

    def __init__(self, keys: list[str]):
        self.keys, self.calls = keys, 0
        self.started, self.release = threading.Event(), threading.Event()

    def client(self, service, account, region):
        return self

    def describe_table(self, TableName):  # noqa: N803  (botocore's spelling)
        self.calls += 1
        key = self.keys[min(self.calls, len(self.keys)) - 1]
        if self.calls == 1:
            self.started.set()
            self.release.wait(10)
        return {"Table": {"KeySchema": [{"AttributeName": key, "KeyType": "HASH"}]}}


def test_a_table_s_key_schema_is_read_once_by_requests_missing_it_at_once():
    tables = _Tables(["pk"])
    lookups, answers = UpstreamLookups(tables, ttl=60.0), []
    first = threading.Thread(target=lambda: answers.append(lookups.key_schema("1", "r", "t")))
    first.start()
    assert tables.started.wait(10)
    others = [threading.Thread(target=lambda: answers.append(lookups.key_schema("1", "r", "t"))) for _ in range(4)]
    for thread in others:
        thread.start()
    tables.release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert answers == ["pk"] * 5 and tables.calls == 1


def test_a_key_schema_read_before_the_table_was_re_created_is_not_kept():
    tables = _Tables(["old_key", "new_key"])
    lookups, answers = UpstreamLookups(tables, ttl=60.0), []
    first = threading.Thread(target=lambda: answers.append(lookups.key_schema("1", "r", "t")))
    first.start()
    assert tables.started.wait(10)
    assert lookups.forget("dynamodb", "DeleteTable", {"TableName": "t"})  # forwarded while the read is out
    assert lookups.key_schema("1", "r", "t") == "new_key"  # not the read in flight: one of its own
    tables.release.set()
    first.join(10)
    assert answers == ["old_key"]  # the request that began before the change got the old answer ...
    assert lookups.cached_key_schema("1", "r", "t") == "new_key"  # ... which was not stored
    lookups.clear()
    with pytest.raises(Cold):
        lookups.cached_key_schema("1", "r", "t")
