"""The store under the gateway's upstream caches: expiry, the bound, and drops by resource name."""

from __future__ import annotations

from iamd.gateway.named_entries import MISSING, NamedEntries


def test_an_entry_is_answered_until_it_expires():
    entries = NamedEntries(max_entries=10)
    entries.put(("policy", "b"), 5.0, None, (("s3", "b"),))
    assert entries.get(("policy", "b"), 4.9) is None  # a cached None is a value, not a miss
    assert entries.get(("policy", "b"), 5.0) is MISSING


def test_dropping_a_name_drops_every_entry_filed_under_it_and_no_other():
    entries = NamedEntries(max_entries=10)
    entries.put(("policy", "a", "111"), 9.0, "pa1", (("s3", "a"),))
    entries.put(("policy", "a", "222"), 9.0, "pa2", (("s3", "a"),))
    entries.put(("policy", "b"), 9.0, "pb", (("s3", "b"), ("s3-listing", "111")))
    entries.drop(("s3", "a"))
    assert entries.get(("policy", "a", "111"), 0) is MISSING and entries.get(("policy", "a", "222"), 0) is MISSING
    assert entries.get(("policy", "b"), 0) == "pb"
    entries.drop(("s3-listing", "111"))
    assert entries.get(("policy", "b"), 0) is MISSING
    assert entries.names() == []


def test_beyond_the_bound_the_least_recently_used_goes_with_its_names():
    entries = NamedEntries(max_entries=2)
    entries.put("one", 9.0, 1, ("n1",))
    entries.put("two", 9.0, 2, ("n2",))
    assert entries.get("one", 0) == 1  # used: "two" is now the oldest
    entries.put("three", 9.0, 3, ("n3",))
    assert entries.get("two", 0) is MISSING
    assert sorted(entries.names()) == ["n1", "n3"]
    entries.clear()
    assert entries.get("one", 0) is MISSING and entries.names() == []
