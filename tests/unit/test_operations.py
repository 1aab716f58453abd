"""The operation declarations against AWS's own references: botocore's models and the Service
Authorization Reference."""

from pathlib import Path

import pytest

from iamd.reference import actions
from iamd.service.operations import OPERATIONS
from iamd.web.coverage import check_operations, coverage_markdown


def test_every_declared_operation_is_in_the_model():
    check_operations()


@pytest.mark.parametrize("service, name", sorted(OPERATIONS))
def test_every_declared_action_is_in_the_service_authorization_reference(service, name):
    assert actions.action(service, name) is not None, f"{service}:{name} is not an IAM action AWS knows"


def test_docs_coverage_is_current():
    path = Path(__file__).parents[2] / "docs" / "coverage.md"
    assert path.read_text() == coverage_markdown() + "\n", "run `make coverage-doc` and commit docs/coverage.md"
