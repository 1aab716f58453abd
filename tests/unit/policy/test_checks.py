"""check_policy against AWS's recorded MalformedPolicyDocument messages (one parametrized test)."""

import pytest

from iamd.policy import check_policy

from .malformed_cases import ACCEPTED, INLINE_ACCEPTED, INLINE_ROWS, ROWS

ALL_ROWS = ROWS + INLINE_ROWS


@pytest.mark.parametrize("row,kind,document,message", ALL_ROWS, ids=[str(r[0]) for r in ALL_ROWS])
def test_recorded_message(row, kind, document, message):
    problems = check_policy(document, kind)
    assert problems, f"row {row}: accepted, AWS said {message!r}"
    assert problems[0].message == message


@pytest.mark.parametrize("kind", ["managed", "identity"])
@pytest.mark.parametrize("name,document", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_by_aws(name, document, kind):
    assert check_policy(document, kind) == []


@pytest.mark.parametrize("name,document", INLINE_ACCEPTED, ids=[a[0] for a in INLINE_ACCEPTED])
def test_inline_policies_need_no_version_managed_ones_do(name, document):
    assert check_policy(document, "identity") == []
    assert [p.message for p in check_policy(document, "managed")][:1] == [
        "Policy document must be version 2012-10-17 or greater."]


def test_unknown_kind_fails_loudly():
    with pytest.raises(ValueError):
        check_policy("{}", "inline")
