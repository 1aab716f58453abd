"""check_policy against AWS's recorded MalformedPolicyDocument messages (one parametrized test)."""

import pytest

from iamd.policy import check_policy

from .malformed_cases import ACCEPTED, ROWS


@pytest.mark.parametrize("row,kind,document,message", ROWS, ids=[str(r[0]) for r in ROWS])
def test_recorded_message(row, kind, document, message):
    problems = check_policy(document, kind)
    assert problems, f"row {row}: accepted, AWS said {message!r}"
    assert problems[0].message == message


@pytest.mark.parametrize("name,document", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_by_aws(name, document):
    assert check_policy(document) == []
