"""The iam-* commands of the retired IAM command-line toolkit, run as processes against a running iamd.

Sources of the behaviour pinned here:
- IAM CLI Reference, iam-useruploadpolicy: -u, -p, -f or -o (not both); "the output is empty".
- IAM CLI Reference, iam-userdel: -u, -r, -r -p (pretend: headings such as "accesskeys", items indented).
- The toolkit's own `iam-usercreate -h` (as reproduced in setup guides): --aws-credential-file, --url, -d,
  -g, -k, -p, -u, -v "print out the newly created user's arn and guid"; a guide's `iam-usercreate -k -v`
  example prints the key id, the secret, then the ARN and id.
- Setup guides of the toolkit: the credential file holds AWSAccessKeyId=... and AWSSecretKey=... lines,
  named by AWS_CREDENTIAL_FILE; iam-grouplistbypath prints group ARNs, iam-grouplistpolicies policy names.
- Scripts of the time: iam-userlistkeys prints each key id, then its status, then "IsTruncated: false".
- The IAM guide's walkthrough quoted in issue #10 (item 15), and today's IAM rules it meets: an inline
  policy without Version is accepted (IAM User Guide, "IAM JSON policy elements: Version"); the default
  password policy wants three kinds of character (IAM User Guide, "Set an account password policy").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, client

BIN = Path(sys.executable).parent
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
GUIDE_DOCUMENT = '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'  # the 2013 guide's, no Version


def toolkit(server, command: str, *args: str, key_id: str | None = ROOT_KEY_ID, secret: str | None = ROOT_SECRET,
            **env_extra: str | None) -> subprocess.CompletedProcess:
    """Run one iam-* console script with only what a user's shell would give it (None unsets a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=server.endpoint, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_MAX_ATTEMPTS="1", AWS_EC2_METADATA_DISABLED="true")
    if key_id:
        env.update(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    env.update({name: value for name, value in env_extra.items() if value is not None})
    for name in (name for name, value in env_extra.items() if value is None):
        env.pop(name, None)
    return subprocess.run([str(BIN / command), *args], check=False, env=env, capture_output=True, text=True, timeout=60)


def out(server, command: str, *args: str, **kwargs) -> list[str]:
    done = toolkit(server, command, *args, **kwargs)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def refused(server, command: str, *args: str, **kwargs) -> str:
    """The service's refusal, in the toolkit's style: nothing on stdout, one line on stderr, exit 1."""
    done = toolkit(server, command, *args, **kwargs)
    assert done.returncode == 1, done.stdout
    assert done.stdout == ""
    assert done.stderr.startswith(f"{command}: Service error: "), done.stderr
    return done.stderr.removeprefix(f"{command}: Service error: ").rstrip("\n")


@pytest.fixture
def account(server, new_account):
    """A fresh account of the server, so that its alias, users and summary are the test's alone."""
    created = new_account()
    keys = {"key_id": created["aws_access_key_id"], "secret": created["aws_secret_access_key"]}
    return created["account_id"], keys, client(server, "iam", **keys)


def test_the_guide_walkthrough_end_to_end_then_a_call_with_the_printed_key(server, account, unique):
    account_id, root, iam = account
    created = out(server, "iam-usercreate", "-u", "iam_user", "-p", "/", "-v", **root)
    user = iam.get_user(UserName="iam_user")["User"]
    assert created == [f"arn:aws:iam::{account_id}:user/iam_user", user["UserId"]]

    # The 2013 document has no Version: an inline policy may omit it (read with the 2008-10-17 rules).
    assert out(server, "iam-useruploadpolicy", "-u", "iam_user", "-p", "AllAccessPolicy", "-o", GUIDE_DOCUMENT,
               **root) == []

    key_id, secret = out(server, "iam-useraddkey", "-u", "iam_user", **root)
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="iam_user")["AccessKeyMetadata"]] == [key_id]

    # "somePassword" has two kinds of character; with no password policy set, IAM's default wants three.
    assert refused(server, "iam-useraddloginprofile", "-u", "iam_user", "-p", "somePassword", **root).startswith(
        "Password should have at least three of the following")
    assert out(server, "iam-useraddloginprofile", "-u", "iam_user", "-p", "somePassword1", **root) == []
    assert iam.get_login_profile(UserName="iam_user")["LoginProfile"]["UserName"] == "iam_user"

    alias = unique("example")
    assert out(server, "iam-accountaliascreate", "-a", alias, **root) == []
    assert iam.list_account_aliases()["AccountAliases"] == [alias]

    assert out(server, "iam-usergetattributes", "-u", "iam_user", **root) == created
    assert out(server, "iam-userlistpolicies", "-u", "iam_user", **root) == ["AllAccessPolicy", "IsTruncated: false"]
    assert out(server, "iam-userlistpolicies", "-u", "iam_user", "-p", "AllAccessPolicy", **root) == [GUIDE_DOCUMENT]

    # Afterwards, as iam_user, with the key iam-useraddkey printed.
    assert client(server, "sts", key_id, secret).get_caller_identity()["Arn"] == created[0]
    as_user = {"key_id": key_id, "secret": secret}
    assert out(server, "iam-usergetattributes", **as_user) == created  # no -u: the caller's own user
    assert out(server, "iam-userlistkeys", **as_user) == [key_id, "Active", "IsTruncated: false"]
    assert out(server, "iam-accountaliaslist", **as_user) == [alias]
    # The all-access policy lets iam_user do what only the root user could before.
    made = out(server, "iam-usercreate", "-u", "made_by_iam_user", "-v", **as_user)
    assert made[0].endswith(":user/made_by_iam_user")


def test_usercreate_with_groups_and_a_key_prints_key_then_arn_and_id(server, iam, unique):
    group, user = unique("grp"), unique("user")
    group_lines = out(server, "iam-groupcreate", "-g", group, "-p", "/team/", "-v")
    made = iam.get_group(GroupName=group)["Group"]
    assert group_lines == [f"arn:aws:iam::{ACCOUNT_ID}:group/team/{group}", made["GroupId"]]
    assert out(server, "iam-groupcreate", "-g", unique("grp")) == []  # without -v: nothing

    key_id, secret, arn, user_id = out(server, "iam-usercreate", "-u", user, "-g", group, "-k", "-v")
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    assert user_id == iam.get_user(UserName=user)["User"]["UserId"]
    assert client(server, "sts", key_id, secret).get_caller_identity()["Arn"] == arn
    assert out(server, "iam-grouplistusers", "-g", group) == [group_lines[0], arn, "IsTruncated: false"]
    assert out(server, "iam-userlistgroups", "-u", user) == [group_lines[0], "IsTruncated: false"]
    assert group_lines[0] in out(server, "iam-grouplistbypath", "-p", "/team/")
    assert refused(server, "iam-usercreate", "-u", user) == f"User with name {user} already exists."


def test_group_membership_add_and_remove(server, iam, unique):
    group, first, second = unique("grp"), unique("user"), unique("user")
    iam.create_group(GroupName=group)
    for name in (first, second):
        iam.create_user(UserName=name)
        assert out(server, "iam-groupadduser", "-g", group, "-u", name) == []
    assert {u["UserName"] for u in iam.get_group(GroupName=group)["Users"]} == {first, second}
    assert out(server, "iam-groupremoveuser", "-g", group, "-u", first) == []
    listed = out(server, "iam-grouplistusers", "-g", group)
    assert listed[1:] == [f"arn:aws:iam::{ACCOUNT_ID}:user/{second}", "IsTruncated: false"]
    assert refused(server, "iam-groupadduser", "-g", unique("nogroup"), "-u", first).startswith(
        "The group with name")


def test_userlistbypath_and_usermod(server, iam, unique):
    user, renamed = unique("user"), unique("user")
    path = f"/{unique('div')}/"
    out(server, "iam-usercreate", "-u", user, "-p", path)
    assert out(server, "iam-userlistbypath", "-p", path) == [f"arn:aws:iam::{ACCOUNT_ID}:user{path}{user}"]
    assert f"arn:aws:iam::{ACCOUNT_ID}:user{path}{user}" in out(server, "iam-userlistbypath")  # default prefix /

    assert out(server, "iam-usermod", "-u", user, "-n", renamed, "-p", "/moved/") == []
    assert out(server, "iam-userlistbypath", "-p", path) == []
    assert iam.get_user(UserName=renamed)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{renamed}"

    done = toolkit(server, "iam-usermod", "-u", renamed)  # nothing to change: refused before any call
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("iam-usermod: give -n")


def test_userdel_refuses_then_pretends_then_deletes_recursively(server, iam, unique):
    user, group = unique("user"), unique("grp")
    iam.create_group(GroupName=group)
    key_id, _secret, _arn, _id = out(server, "iam-usercreate", "-u", user, "-g", group, "-k", "-v")
    out(server, "iam-useruploadpolicy", "-u", user, "-p", "Inline", "-o", DOCUMENT)
    managed = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=managed)
    out(server, "iam-useraddloginprofile", "-u", user, "-p", "Passw0rd!long")

    assert refused(server, "iam-userdel", "-u", user).startswith("Cannot delete entity, must ")
    pretend = out(server, "iam-userdel", "-u", user, "-r", "-p")
    assert pretend == ["accesskeys", f"     {key_id}", "loginprofile", f"     {user}", "policies", "     Inline",
                       "attachedpolicies", f"     {managed}", "groups", f"     {group}"]
    assert iam.get_user(UserName=user)["User"]["UserName"] == user  # pretend deletes nothing

    done = toolkit(server, "iam-userdel", "-u", user, "-p")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "iam-userdel: -p (pretend) applies only together with -r\n"

    assert out(server, "iam-userdel", "-u", user, "-r") == []
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName=user)
    assert excinfo.value.response["Error"]["Code"] == "NoSuchEntity"
    assert iam.get_group(GroupName=group)["Users"] == []
    assert iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"] == 0


def test_groupdel_recursive(server, iam, unique):
    group, user = unique("grp"), unique("user")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    out(server, "iam-groupuploadpolicy", "-g", group, "-p", "GroupInline", "-o", DOCUMENT)

    assert refused(server, "iam-groupdel", "-g", group).startswith("Cannot delete entity, must ")
    assert out(server, "iam-groupdel", "-g", group, "-r", "-p") == ["users", f"     {user}", "policies",
                                                                     "     GroupInline"]
    assert out(server, "iam-groupdel", "-g", group, "-r") == []
    assert group not in {g["GroupName"] for g in iam.list_groups()["Groups"]}
    assert iam.get_user(UserName=user)["User"]["UserName"] == user  # the member stays, only leaves
    empty = unique("grp")
    iam.create_group(GroupName=empty)
    assert out(server, "iam-groupmod", "-g", empty, "-n", f"{empty}-x") == []
    assert iam.get_group(GroupName=f"{empty}-x")["Group"]["GroupName"] == f"{empty}-x"
    assert out(server, "iam-groupdel", "-g", f"{empty}-x") == []


def test_group_policies_from_a_file_listed_verbose_and_deleted(server, iam, unique, tmp_path):
    group = unique("grp")
    out(server, "iam-groupcreate", "-g", group)
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(json.loads(DOCUMENT), indent=2))  # a pretty file; printed back compact
    assert out(server, "iam-groupuploadpolicy", "-g", group, "-p", "FromFile", "-f", str(policy_file)) == []
    assert out(server, "iam-grouplistpolicies", "-g", group) == ["FromFile", "IsTruncated: false"]
    assert out(server, "iam-grouplistpolicies", "-g", group, "-v") == ["FromFile", DOCUMENT, "IsTruncated: false"]
    assert out(server, "iam-grouplistpolicies", "-g", group, "-p", "FromFile") == [DOCUMENT]
    assert out(server, "iam-groupdelpolicy", "-g", group, "-p", "FromFile") == []
    assert out(server, "iam-grouplistpolicies", "-g", group) == ["IsTruncated: false"]

    both = toolkit(server, "iam-groupuploadpolicy", "-g", group, "-p", "X", "-f", str(policy_file), "-o", DOCUMENT)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr  # -f or -o, never both
    missing = toolkit(server, "iam-groupuploadpolicy", "-g", group, "-p", "X", "-f", str(tmp_path / "absent.json"))
    assert missing.returncode == 1 and missing.stderr.startswith("iam-groupuploadpolicy: cannot read the policy file")


def test_user_policy_delete(server, iam, unique):
    user = unique("user")
    iam.create_user(UserName=user)
    out(server, "iam-useruploadpolicy", "-u", user, "-p", "One", "-o", DOCUMENT)
    accented = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*",'
                '"Condition":{"StringEquals":{"aws:username":"josé"}}}]}')
    out(server, "iam-useruploadpolicy", "-u", user, "-p", "Two", "-o", accented)
    assert out(server, "iam-userlistpolicies", "-u", user, "-p", "Two") == [accented]  # as uploaded, not \u00e9
    assert out(server, "iam-userdelpolicy", "-u", user, "-p", "One") == []
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["Two"]
    assert out(server, "iam-userdelpolicy", "-u", user, "-p", "Two") == []
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    assert refused(server, "iam-userdelpolicy", "-u", user, "-p", "One") == (
        "The user policy with name One cannot be found.")


def test_access_keys_add_list_deactivate_delete(server, iam, unique):
    user = unique("user")
    iam.create_user(UserName=user)
    key_id, secret = out(server, "iam-useraddkey", "-u", user)
    assert (len(key_id), len(secret)) == (20, 40) and key_id.startswith("AKIA")
    assert out(server, "iam-userlistkeys", "-u", user) == [key_id, "Active", "IsTruncated: false"]

    assert out(server, "iam-usermodkey", "-u", user, "-k", key_id, "-s", "Inactive") == []
    assert out(server, "iam-userlistkeys", "-u", user) == [key_id, "Inactive", "IsTruncated: false"]
    with pytest.raises(ClientError):
        client(server, "sts", key_id, secret).get_caller_identity()
    bad_status = toolkit(server, "iam-usermodkey", "-u", user, "-k", key_id, "-s", "Disabled")
    assert bad_status.returncode == 2 and "invalid choice" in bad_status.stderr

    assert out(server, "iam-userdelkey", "-u", user, "-k", key_id) == []
    assert out(server, "iam-userlistkeys", "-u", user) == ["IsTruncated: false"]
    assert refused(server, "iam-userdelkey", "-u", user, "-k", key_id) == (
        f"The Access Key with id {key_id} cannot be found.")


def test_login_profiles_add_modify_delete(server, iam, unique):
    user = unique("user")
    iam.create_user(UserName=user)
    assert out(server, "iam-useraddloginprofile", "-u", user, "-p", "First-Passw0rd") == []
    assert out(server, "iam-usermodloginprofile", "-u", user, "-p", "Second-Passw0rd") == []
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"] == user
    assert out(server, "iam-userdelloginprofile", "-u", user) == []
    with pytest.raises(ClientError):
        iam.get_login_profile(UserName=user)
    assert refused(server, "iam-userdelloginprofile", "-u", user) == f"Login Profile for User {user} cannot be found."


def test_account_alias_and_summary(server, account, unique):
    _account_id, root, iam = account
    alias = unique("alias")
    assert out(server, "iam-accountaliaslist", **root) == []
    out(server, "iam-accountaliascreate", "-a", alias, **root)
    assert out(server, "iam-accountaliaslist", **root) == [alias]
    assert out(server, "iam-accountaliasdelete", "-a", alias, **root) == []
    assert iam.list_account_aliases()["AccountAliases"] == []

    out(server, "iam-usercreate", "-u", unique("user"), **root)
    summary = dict(line.split(": ", 1) for line in out(server, "iam-accountgetsummary", **root))
    expected = iam.get_account_summary()["SummaryMap"]
    assert summary == {name: str(value) for name, value in expected.items()}
    assert summary["Users"] == "1"


def test_credential_file_flag_and_variable(server, unique, tmp_path):
    good = tmp_path / "account-key"
    good.write_text(f"# the toolkit's format\nAWSAccessKeyId={ROOT_KEY_ID}\nAWSSecretKey={ROOT_SECRET}\n")
    user = unique("user")
    out(server, "iam-usercreate", "-u", user, key_id=None, AWS_CREDENTIAL_FILE=str(good))
    assert out(server, "iam-usergetattributes", "-u", user, "--aws-credential-file", str(good), key_id=None)[0] == (
        f"arn:aws:iam::{ACCOUNT_ID}:user/{user}")

    wrong = tmp_path / "wrong-key"
    wrong.write_text(f"AWSAccessKeyId={ROOT_KEY_ID}\nAWSSecretKey=not-the-secret\n")
    # The file wins over the environment's key, as the toolkit's own setting should.
    assert "signature" in refused(server, "iam-userlistbypath", "--aws-credential-file", str(wrong)).lower()

    half = tmp_path / "half-key"
    half.write_text(f"AWSAccessKeyId={ROOT_KEY_ID}\n")
    done = toolkit(server, "iam-userlistbypath", "--aws-credential-file", str(half))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"iam-userlistbypath: the credential file {half} has no AWSSecretKey\n"


def test_url_flag_and_usage_errors(server, unique):
    user = unique("user")
    # --url beats AWS_ENDPOINT_URL, which here points nowhere.
    assert out(server, "iam-usercreate", "-u", user, "--url", server.endpoint, "-v",
               AWS_ENDPOINT_URL="http://127.0.0.1:9")[0].endswith(f":user/{user}")
    # Without AWS_ENDPOINT_URL, the Java tools' AWS_IAM_URL names the endpoint.
    assert out(server, "iam-usergetattributes", "-u", user, AWS_ENDPOINT_URL=None,
               AWS_IAM_URL=server.endpoint)[0].endswith(f":user/{user}")
    assert refused(server, "iam-usergetattributes", "-u", unique("nobody")).startswith("The user with name nobody-")

    usage = toolkit(server, "iam-usercreate")
    assert usage.returncode == 2
    assert "iam-usercreate: error: the following arguments are required: -u" in usage.stderr
    helped = toolkit(server, "iam-usercreate", "-h")
    assert helped.returncode == 0 and "--aws-credential-file" in helped.stdout and "-k" in helped.stdout

    debug = toolkit(server, "iam-usergetattributes", "-u", user, "-d")
    assert debug.returncode == 0 and debug.stdout.splitlines()[0].endswith(f":user/{user}")
    assert "GetUser" in debug.stderr  # -d: botocore's log of the request, on stderr only

    no_key = toolkit(server, "iam-userlistbypath", key_id=None)
    assert (no_key.returncode, no_key.stdout) == (1, "")
    assert no_key.stderr == "iam-userlistbypath: Unable to locate credentials\n"
