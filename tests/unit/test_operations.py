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


def test_installed_botocore_is_the_pinned_one():
    """The model the coverage is measured against is the locked one, not whatever PyPI served last."""
    import re

    import botocore

    lock = (Path(__file__).parents[2] / "requirements.lock").read_text()
    pinned = re.search(r"^botocore==(\S+)$", lock, re.M)
    assert pinned, "requirements.lock pins no botocore"
    assert botocore.__version__ == pinned.group(1), "the venv is not the lock's: run `make install`"


def test_docs_coverage_is_current():
    path = Path(__file__).parents[2] / "docs" / "coverage.md"
    assert path.read_text() == coverage_markdown() + "\n", "run `make coverage-doc` and commit docs/coverage.md"


def test_only_the_operations_aws_serves_unsigned_are_anonymous():
    """AWS STS serves AssumeRoleWithWebIdentity and AssumeRoleWithSAML without a signature (API reference:
    "you do not need to use AWS security credentials"); every other operation must be signed. A merge
    once put a positional argument into ``anonymous``: this catches any such slip."""
    from iamd.protocol.model import service_model

    unsigned = {(service, name) for (service, name), operation in OPERATIONS.items()
                if operation.anonymous or service_model(service).operation_model(name).auth_type == "none"}
    assert unsigned == {("sts", "AssumeRoleWithWebIdentity"), ("sts", "AssumeRoleWithSAML")}
