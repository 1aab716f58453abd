"""The shipped service-linked role table: built by its script from its sources, and self-consistent."""

import importlib.util
import json
from pathlib import Path

import pytest

from iamd.reference import managed_policies as catalogue, service_linked_roles as table

REPO = Path(__file__).resolve().parents[3]


def _builder():
    spec = importlib.util.spec_from_file_location("build_slr", REPO / "scripts" / "build_service_linked_roles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_file_is_what_the_script_builds():
    shipped = json.loads(table.DATA.read_text())
    assert _builder().build() == shipped


def test_every_row_names_a_source_and_an_aws_style_name():
    services = json.loads(table.DATA.read_text())["services"]
    assert len(services) >= 150
    for principal, row in services.items():
        assert principal.endswith(".amazonaws.com")
        assert row["role_name"].startswith("AWSServiceRoleFor") and row["source"]


def test_every_policy_is_in_the_catalogue_under_aws_service_role():
    for principal in json.loads(table.DATA.read_text())["services"]:
        for arn in table.lookup(principal).policy_arns:
            assert arn.startswith("arn:aws:iam::aws:policy/aws-service-role/")
            assert catalogue.get(arn) is not None, arn


@pytest.mark.parametrize("principal, name, policy, suffix", [
    # The examples, from AWS's "Using service-linked roles" pages (see the TSV's sources).
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy", False),
    ("accountdiscovery.ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM_AccountDiscovery",
     "AWSSystemsManagerAccountDiscoveryServicePolicy", False),
    ("waf.amazonaws.com", "AWSServiceRoleForWAFLogging", "WAFLoggingServiceRolePolicy", False),
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy", True),
])
def test_documented_rows(principal, name, policy, suffix):
    row = table.lookup(principal)
    assert (row.role_name, row.custom_suffix) == (name, suffix)
    assert row.policy_arns[0] == "arn:aws:iam::aws:policy/aws-service-role/" + policy


def test_unknown_principal_and_fallback():
    assert table.lookup("Ssm.amazonaws.com") is None  # principals are case-sensitive
    assert table.fallback_role_name("foo-bar.amazonaws.com") == "AWSServiceRoleForFooBar"
    assert table.fallback_role_name("a.b-c.amazonaws.com") == "AWSServiceRoleForABC"
