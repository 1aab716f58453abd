"""wildcard.py, variables.py, jsontext.py, document.py, context_keys and located problems."""

import pytest

from iamd.policy import PolicyError, check_policy, context_keys, parse_policy
from iamd.policy.jsontext import JsonError, Text, parse
from iamd.policy.variables import parse_template
from iamd.policy.wildcard import compile_action, compile_arn, compile_like


@pytest.mark.parametrize("pattern,text,expected", [
    ("arn:aws:iam::*:user/*", "arn:aws:iam::123:user/a/b", True),
    ("arn:aws:iam::*:user/*", "arn:aws:iam::1:2:user/a", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y:z", True),
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", False),
    ("arn:aws:s3:::B", "arn:aws:s3:::b", False),
    ("*", "anything at all", True),
    ("arn:aws:s3:::a.b", "arn:aws:s3:::axb", False),
])
def test_arn_wildcards(pattern, text, expected):
    assert compile_arn(pattern).match(text) == expected


def test_action_and_like_wildcards():
    assert compile_action("IAM:Get*").match("iam:getuser")
    assert not compile_action("iam:Get*").match("iam:listusers")
    assert compile_like("a*").match("a\nb")
    assert not compile_like("a").match("A")


@pytest.mark.parametrize("text,context,rendered", [
    ("home/${aws:username}/*", {"aws:username": ("bob",)}, "home/bob/*"),
    ("home/${aws:username}", {}, None),
    ("${aws:username, 'none'}", {}, "none"),
    ("${ aws:username , 'it''s' }", {}, "it's"),
    ("${*}${?}${$}", {}, "*?$"),
    ("${aws:TagKeys}", {"aws:tagkeys": ("a", "b")}, None),
    ("${unterminated", {}, "${unterminated"),
    ("${}", {}, "${}"),
])
def test_variables(text, context, rendered):
    template = parse_template(text)
    result = template.render_text(context) if template else text
    assert result == rendered


def test_json_positions_and_errors():
    node = parse('{\n  "a": [1, "x"]\n}')
    text = Text('{\n  "a": [1, "x"]\n}')
    value = node.get("a")
    assert text.position(value.start) == (2, 8) and text.position(value.end) == (2, 16)
    assert node.plain() == {"a": [1, "x"]}
    for bad in ('{"a":1,}', "[1,]", "", "{'a':1}", '{"a":NaN}', '{"a":1} x'):
        with pytest.raises(JsonError):
            parse(bad)


def test_problems_are_located_and_all_reported():
    text = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:Get:Object", "Resource": "*"},
    {"Effect": "allow", "Action": "s3:GetObject", "Resource": "bucket"}
  ]
}"""
    problems = check_policy(text)
    assert [(p.message, p.line, p.column) for p in problems] == [
        ("The policy failed legacy parsing", 5, 16),
        ('Resource bucket must be in ARN format or "*".', 5, 63),
        ("Actions/Condition can contain only one colon.", 4, 35),
    ]
    assert str(problems[0]) == "5:16: The policy failed legacy parsing"
    assert check_policy('{"a":')[0].line == 1


@pytest.mark.parametrize("kind,document,message", [
    ("identity",
     '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}',
     "Policy document should not specify a principal."),
    ("trust", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}',
     "Missing required field Principal"),
    ("resource", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}',
     "Missing required field Principal"),
    ("trust", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"arn:x","Action":"sts:AssumeRole"}}',
     "Syntax errors in policy."),
])
def test_principal_rules(kind, document, message):
    assert check_policy(document, kind)[0].message == message


@pytest.mark.parametrize("document", [
    '{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}',
    '{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":["sts:AssumeRole","sts:TagSession"]}}',
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},'
    '"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"x"}}}}',
])
def test_trust_policies_accepted(document):
    assert check_policy(document, "trust") == []


def test_parse_policy_garbage():
    for bad in ("nope", "[]", '{"Version":"2012-10-17"}', '{"Statement":{"Effect":"Maybe","Action":"*"}}'):
        with pytest.raises(PolicyError):
            parse_policy(bad)
    with pytest.raises(ValueError):
        check_policy("{}", "group")


def test_context_keys_include_variables():
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",'
            '"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringEquals":{"s3:prefix":"${aws:userid}",'
            '"AWS:UserName":"x"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}}}')
    assert context_keys([text]) == ["aws:CurrentTime", "aws:userid", "AWS:UserName", "s3:prefix"]
    assert context_keys([parse_policy(text)]) == context_keys([text])
