"""``iamd policy check`` and ``iamd policy simulate`` through a tiny argparse harness."""

import argparse
import json

import pytest

from iamd.cli.policy import add_parser


def run(argv):
    parser = argparse.ArgumentParser(prog="iamd")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def write(tmp_path, name, statements, version="2012-10-17"):
    path = tmp_path / name
    path.write_text(json.dumps({"Version": version, "Statement": statements}, indent=2))
    return str(path)


ALLOW_IAM = [{"Sid": "AllowIam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}]


def test_check_valid(tmp_path, capsys):
    path = write(tmp_path, "ok.json", ALLOW_IAM)
    assert run(["policy", "check", path]) == 0
    assert "valid identity policy" in capsys.readouterr().out


def test_check_prints_every_problem_with_position(tmp_path, capsys):
    path = write(tmp_path, "bad.json", [{"Effect": "allow", "Action": "s3:a:b", "Resource": "bucket"}])
    assert run(["policy", "check", path]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{path}:5:17: The policy failed legacy parsing",
        f'{path}:7:19: Resource bucket must be in ARN format or "*".',
        f"{path}:6:17: Actions/Condition can contain only one colon.",
    ]


def test_check_trust_kind(tmp_path, capsys):
    path = tmp_path / "trust.json"
    path.write_text("{not json")
    assert run(["policy", "check", "--kind", "trust", str(path)]) == 1
    assert "This policy contains invalid Json" in capsys.readouterr().out


def test_simulate_allowed(tmp_path, capsys):
    path = write(tmp_path, "p.json", ALLOW_IAM)
    assert run(["policy", "simulate", "--policy", path, "--action", "iam:CreateUser", "--resource", "*"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "allowed"
    assert out[1] == f"  Allow {path}:4:5-9:6 AllowIam [identity]"


def test_simulate_boundary_denies(tmp_path, capsys):
    policy = write(tmp_path, "p.json", ALLOW_IAM)
    boundary = write(tmp_path, "b.json", [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}])
    code = run(["policy", "simulate", "--policy", policy, "--boundary", boundary, "--action", "iam:CreateUser",
                "--resource", "arn:aws:iam::111122223333:user/bob"])
    assert code == 1
    assert capsys.readouterr().out.splitlines()[0] == "implicitDeny (decided by the boundary policies)"


def test_simulate_context_and_missing_values(tmp_path, capsys):
    path = write(tmp_path, "p.json", [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
                                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
                                                     "StringEquals": {"aws:username": "bob"}}}])
    base = ["policy", "simulate", "--policy", path, "--action", "ec2:CreateTags", "--resource", "*"]
    contexts = ["--context", "aws:TagKeys=a", "--context", "aws:TagKeys=b", "--context", "aws:username=bob"]
    assert run(base + contexts) == 0
    capsys.readouterr()
    assert run(base + ["--context", "aws:TagKeys=a", "--context", "aws:TagKeys=c"]) == 1
    assert "missing context values: aws:username" in capsys.readouterr().out


def test_simulate_invalid_boundary(tmp_path, capsys):
    # A boundary is a managed policy: CreatePolicy refuses 2008-10-17 (aws-recorded-errors.md, row 3).
    policy = write(tmp_path, "p.json", ALLOW_IAM)
    boundary = write(tmp_path, "b.json", ALLOW_IAM, version="2008-10-17")
    assert run(["policy", "simulate", "--policy", policy, "--boundary", boundary,
                "--action", "iam:GetUser", "--resource", "*"]) == 2
    assert "Policy document must be version 2012-10-17 or greater." in capsys.readouterr().err


def test_check_kinds_and_version(tmp_path, capsys):
    """IAM User Guide, "IAM JSON policy elements: Version": without Version (or with 2008-10-17) a
    policy is read with the 2008-10-17 rules; AWS refuses that for managed policies only."""
    path = tmp_path / "guide.json"
    path.write_text('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    assert run(["policy", "check", str(path)]) == 0
    assert "valid identity policy" in capsys.readouterr().out
    assert run(["policy", "check", "--kind", "managed", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}:1:1: Policy document must be version 2012-10-17 or greater.\n"


def test_simulate_version_less_policy_keeps_variables_literal(tmp_path, capsys):
    """2008-10-17 rules: ${aws:username} is text, so it names only the literal resource."""
    statements = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}"}]
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"Statement": statements}))
    base = ["policy", "simulate", "--policy", str(old), "--action", "s3:GetObject", "--context", "aws:username=bob"]
    assert run(base + ["--resource", "arn:aws:s3:::b/bob"]) == 1
    assert run(base + ["--resource", "arn:aws:s3:::b/${aws:username}"]) == 0
    new = write(tmp_path, "new.json", statements)
    base[3] = new
    assert run(base + ["--resource", "arn:aws:s3:::b/bob"]) == 0
    capsys.readouterr()


def test_policy_without_command_prints_help(capsys):
    assert run(["policy"]) == 2


def test_requires_action():
    with pytest.raises(SystemExit):
        run(["policy", "simulate", "--policy", "x.json", "--resource", "*"])


def test_simulate_trust_policy(tmp_path, capsys):
    """A trust policy must name the caller even in its account (IAM User Guide, "Policy evaluation logic":
    role trust policies are an exception); a plain resource policy would let the identity policy grant."""
    me = "arn:aws:iam::111122223333:user/op"
    identity = write(tmp_path, "id.json", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])
    ec2 = write(tmp_path, "ec2.json", [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                        "Action": "sts:AssumeRole"}])
    named = write(tmp_path, "me.json", [{"Sid": "Me", "Effect": "Allow", "Principal": {"AWS": me},
                                         "Action": "sts:AssumeRole"}])
    common = ["policy", "simulate", "--policy", identity, "--action", "sts:AssumeRole", "--same-account",
              "--resource", "arn:aws:iam::111122223333:role/r", "--principal-arn", me,
              "--principal-account", "111122223333"]
    assert run([*common, "--trust-policy", ec2]) == 1
    assert capsys.readouterr().out.startswith("implicitDeny (decided by the resource policies)")
    assert run([*common, "--trust-policy", named]) == 0
    assert "Me [resource]" in capsys.readouterr().out
    assert run([*common, "--trust-policy", ec2, "--resource-policy", named]) == 2
    assert "one or the other" in capsys.readouterr().err


def test_simulate_context_list_is_multivalued(tmp_path, capsys):
    """IAM User Guide, "Single-valued vs. multivalued context keys": a multivalued key needs a set
    operator, even when the request carries one value."""
    plain = write(tmp_path, "plain.json", [{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*",
                                            "Condition": {"StringEquals": {"aws:TagKeys": "team"}}}])
    base = ["policy", "simulate", "--policy", plain, "--action", "iam:TagUser", "--resource", "*"]
    assert run(base + ["--context", "aws:TagKeys=team"]) == 0
    assert run(base + ["--context-list", "aws:TagKeys=team"]) == 1
    assert run(base + ["--context-list", "aws:TagKeys"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
