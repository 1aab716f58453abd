"""OpenID Connect providers through boto3 and the aws CLI: ARNs, shapes, quotas, AWS's errors."""

import datetime

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of, run_aws

THUMB = "a" * 40


def url_for(unique) -> str:
    return f"https://{unique('idp')}.example.org/auth"


def missing_arn(unique) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{unique('nobody')}.example.org"


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_create_and_get(iam, unique):
    url = url_for(unique)
    tags = [{"Key": "team", "Value": "auth"}]
    created = iam.create_open_id_connect_provider(Url=url, ClientIDList=["app-1", "app-2"], ThumbprintList=[THUMB],
                                                  Tags=tags)
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url[len('https://'):]}"
    assert created["Tags"] == tags
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == url[len("https://"):]
    assert got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == tags
    assert abs(got["CreateDate"] - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=5)


def test_create_without_lists_returns_only_the_arn_and_get_shows_empty_lists(iam, unique):
    created = iam.create_open_id_connect_provider(Url=url_for(unique))
    assert set(created) == {"OpenIDConnectProviderArn", "ResponseMetadata"}
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=created["OpenIDConnectProviderArn"])
    assert got["ClientIDList"] == [] and got["ThumbprintList"] == [] and got["Tags"] == []


@pytest.mark.parametrize("url", ["example.org", "http://example.org", "https://", "https://example.org?x=1"])
def test_create_needs_an_https_url(iam, url):
    assert _error(iam.create_open_id_connect_provider, Url=url) == (
        "ValidationError", "Invalid Open ID Connect Provider URL", 400)


def test_create_twice(iam, unique):
    url = url_for(unique)
    iam.create_open_id_connect_provider(Url=url)
    assert _error(iam.create_open_id_connect_provider, Url=url, ThumbprintList=[THUMB]) == (
        "EntityAlreadyExists", f"Provider with url {url} already exists.", 409)


def test_create_quotas(iam, unique):
    assert _error(iam.create_open_id_connect_provider, Url=url_for(unique), ThumbprintList=[THUMB] * 6) == (
        "InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    assert _error(iam.create_open_id_connect_provider, Url=url_for(unique),
                  ClientIDList=[f"c{i}" for i in range(101)]) == (
        "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    arn = iam.create_open_id_connect_provider(Url=url_for(unique), ThumbprintList=[f"{i}" * 40 for i in range(5)],
                                              ClientIDList=[f"c{i}" for i in range(100)])["OpenIDConnectProviderArn"]
    assert len(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]) == 100


def test_create_reports_every_constraint_violation(iam):
    assert _error(iam.create_open_id_connect_provider, Url="https://" + "u" * 248,
                  ThumbprintList=["b" * 41], ClientIDList=["c" * 256]) == ("ValidationError", (
        "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must have length less than or equal to 255, Member must have length greater than or "
        "equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; "
        "Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"), 400)


def test_missing_provider(iam, unique):
    arn = missing_arn(unique)
    not_found = ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)
    assert _error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn) == not_found
    assert _error(iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=arn) == (
        "NoSuchEntity", f"OpenId connect Provider {arn} cannot be found.", 404)
    assert _error(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                  ClientID="x") == not_found
    assert _error(iam.remove_client_id_from_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                  ClientID="x") == not_found
    assert _error(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn,
                  ThumbprintList=[THUMB]) == not_found
    assert _error(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                  Tags=[{"Key": "k", "Value": "v"}]) == not_found
    assert _error(iam.untag_open_id_connect_provider, OpenIDConnectProviderArn=arn, TagKeys=["k"]) == not_found
    assert _error(iam.list_open_id_connect_provider_tags, OpenIDConnectProviderArn=arn) == not_found


def test_delete_is_not_idempotent(iam, unique):
    arn = iam.create_open_id_connect_provider(Url=url_for(unique))["OpenIDConnectProviderArn"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert _error(iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=arn) == (
        "NoSuchEntity", f"OpenId connect Provider {arn} cannot be found.", 404)
    assert _error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)[0] == "NoSuchEntity"


def test_client_ids(iam, unique):
    arn = iam.create_open_id_connect_provider(Url=url_for(unique), ClientIDList=["a"])["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")  # idempotent
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["a", "b"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never-added")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["b"]


def test_client_id_quota(iam, unique):
    arn = iam.create_open_id_connect_provider(
        Url=url_for(unique), ClientIDList=[f"c{i}" for i in range(100)])["OpenIDConnectProviderArn"]
    assert _error(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn, ClientID="one-more") == (
        "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)


def test_update_thumbprints(iam, unique):
    arn = iam.create_open_id_connect_provider(Url=url_for(unique), ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40, "c" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["b" * 40, "c" * 40]
    assert _error(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn,
                  ThumbprintList=[THUMB] * 6) == (
        "InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)


def test_tags(iam, unique):
    arn = iam.create_open_id_connect_provider(Url=url_for(unique))["OpenIDConnectProviderArn"]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": f"k{i:02}", "Value": str(i)} for i in range(50)])
    first = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=30)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 30
    rest = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["Tags"]) == 20
    assert _error(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                  Tags=[{"Key": "one-more", "Value": ""}]) == (
        "LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "k00", "Value": "changed"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=[f"k{i:02}" for i in range(1, 50)])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "k00", "Value": "changed"}]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "k00", "Value": "changed"}]


def test_list_and_summary_in_a_fresh_account(server, new_account):
    fresh = new_account()
    iam = client(server, "iam", fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    arns = [iam.create_open_id_connect_provider(Url=f"https://{host}.example.org")["OpenIDConnectProviderArn"]
            for host in ("b", "a")]
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert listed == [{"Arn": arn} for arn in sorted(arns)]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 2
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arns[0])
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1


def test_providers_belong_to_their_account(server, iam, new_account, unique):
    url = url_for(unique)
    arn = iam.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]
    fresh = new_account()
    other = client(server, "iam", fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    assert _error(other.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)[0] == "NoSuchEntity"
    other_arn = other.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]  # same URL, other account
    assert other_arn == arn.replace(ACCOUNT_ID, fresh["account_id"])


def test_through_the_aws_cli(server, unique):
    url = url_for(unique)
    created = aws_json(server, "iam", "create-open-id-connect-provider", "--url", url,
                       "--client-id-list", "cli-app", "--thumbprint-list", THUMB)
    arn = created["OpenIDConnectProviderArn"]
    got = aws_json(server, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert got["Url"] == url[len("https://"):] and got["ClientIDList"] == ["cli-app"]
    assert {"Arn": arn} in aws_json(server, "iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]
    aws_json(server, "iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    done = run_aws(server, "iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert done.returncode != 0
    assert f"(NoSuchEntity) when calling the DeleteOpenIDConnectProvider operation: OpenId connect Provider {arn} " \
           "cannot be found." in done.stderr
