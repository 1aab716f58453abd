"""The operator registry: complete, shared, and loud about unknown operators."""

import pytest

from iamd.policy import PolicyError, check_policy, parse_policy
from iamd.policy.conditions import OPERATORS, Condition, resolve_operator
from iamd.policy.dates import is_valid_date, parse_date
from iamd.policy.values import MultiValue, normalise_context

DOCUMENTED = """StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase StringLike StringNotLike
NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals NumericGreaterThan NumericGreaterThanEquals
DateEquals DateNotEquals DateLessThan DateLessThanEquals DateGreaterThan DateGreaterThanEquals Bool BinaryEquals
IpAddress NotIpAddress ArnEquals ArnLike ArnNotEquals ArnNotLike Null""".split()


def test_every_documented_operator_is_registered():
    assert sorted(op.name for op in OPERATORS.values()) == sorted(DOCUMENTED)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_operator_passes_checks_and_compiles(name):
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",'
            f'"Condition":{{"{name}":{{"aws:x":"2020-01-01"}}}}}}}}')
    assert check_policy(text) == []
    assert parse_policy(text).statements[0].conditions[0].op.name == name


@pytest.mark.parametrize("name,expected", [
    ("StringEqualsIfExists", ("StringEquals", None, True)),
    ("ForAllValues:StringLike", ("StringLike", "ForAllValues", False)),
    ("ForAnyValue:ArnNotLikeIfExists", ("ArnNotLike", "ForAnyValue", True)),
    ("stringequals", ("StringEquals", None, False)),
    ("ForAnyValue::StringEquals", None),
    ("ForSomeValues:StringEquals", None),
    ("NullIfExists", None),
    ("ForAllValues:Null", None),
    ("StringEqualz", None),
])
def test_resolve_operator(name, expected):
    resolved = resolve_operator(name)
    assert (None if resolved is None else (resolved[0].name, resolved[1], resolved[2])) == expected


def test_unknown_operator_is_never_silently_true():
    with pytest.raises(ValueError):
        Condition("StringEqualz", "aws:username", ("a",), True)
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",'
            '"Condition":{"Foo":{"a":"b"}}}}')
    assert check_policy(text)[0].message == "Syntax errors in policy."
    with pytest.raises(PolicyError):
        parse_policy(text)


@pytest.mark.parametrize("text,valid", [
    ("2019-07-01T13:20:15Z", True), ("01T", True), ("2016-12-13t2:00:00.593194+23", True), ("-292275054", True),
    ("2016", True), ("2016-02-29", True), ("2015-02-29", False), ("2016-366", True), ("2015-366", False),
    ("2020-W01-1", True), ("T10:00", True), ("2016-12-13T2:00:00+05:30", True), ("2016-12-13T2:00:00+0530", True),
    ("sdfdsf", False), ("234-13", False), ("2016-12-13t2:00:00.593194+1", False),
    ("2016-12-13t2:00:00.1999999999+10:59", False), ("9223372036854775808", False), ("9223372036854775807", True),
    ("2016-12-13T24:00:00Z", False), ("", False),
])
def test_dates(text, valid):
    assert is_valid_date(text) == valid


def test_date_values():
    assert parse_date("1970-01-01T00:00:00Z") == 0
    assert parse_date("2020-04-01T00:00:00Z") == 1585699200
    assert parse_date("2020-04-01T02:00:00+02:00") == 1585699200
    assert parse_date("2020-092") == 1585699200  # ordinal date
    assert parse_date("2020-W14-3") == 1585699200  # ISO week date: Wednesday of week 14
    assert parse_date("1585699200") == 1585699200
    assert parse_date("2020-04-01T00:00:00.5Z") == 1585699200.5


def ctx(**values):
    """A request context as the engine holds it: a list is a multivalued key, a string single-valued."""
    return normalise_context({k.replace("_", ":"): v for k, v in values.items()})


@pytest.mark.parametrize("operator,policy,context,expected", [
    ("StringEquals", ["a", "b"], ctx(aws_k="b"), True),
    ("StringNotEqualsIgnoreCase", ["A"], ctx(aws_k="a"), False),
    ("StringLike", ["a*c", "x?z"], ctx(aws_k="xyz"), True),
    ("StringLike", ["a*"], ctx(aws_k="ba"), False),
    ("NumericEquals", ["5"], ctx(aws_k="5.0"), True),
    ("NumericLessThan", ["5"], ctx(aws_k="abc"), False),
    ("NumericNotEquals", ["5"], ctx(aws_k="abc"), True),
    ("Bool", ["true"], ctx(aws_k="TRUE"), True),
    ("IpAddress", ["10.0.0.0/8"], ctx(aws_k="10.1.2.3"), True),
    ("IpAddress", ["10.0.0.0/8"], ctx(aws_k="::1"), False),
    ("NotIpAddress", ["10.0.0.0/8"], ctx(aws_k="11.0.0.1"), True),
    ("IpAddress", ["not an ip"], ctx(aws_k="10.0.0.1"), False),
    ("ArnLike", ["arn:aws:iam::*:role/*"], ctx(aws_k="arn:aws:iam::1:role/a/b"), True),
    ("ArnNotEquals", ["arn:aws:iam::1:role/a"], ctx(aws_k="arn:aws:iam::1:role/a"), False),
    # IAM User Guide, "Single-valued vs. multivalued context keys": a multivalued key needs a set
    # operator. Without one it never matches (AWS's simulator: implicitDeny for a stringList entry
    # under StringEquals whose one value was equal), negated or IfExists or not; Null tests presence.
    ("StringEquals", ["a"], ctx(aws_k=["b", "a"]), False),
    ("StringEquals", ["a"], ctx(aws_k=["a"]), False),
    ("StringEquals", ["a"], ctx(aws_k="a"), True),
    ("StringNotEquals", ["a"], ctx(aws_k=["b", "a"]), False),
    ("StringNotEquals", ["a"], ctx(aws_k=["b"]), False),
    ("StringEqualsIfExists", ["a"], ctx(aws_k=["a"]), False),
    ("NumericLessThan", ["5"], ctx(aws_k=["1"]), False),
    ("Bool", ["true"], ctx(aws_k=["true"]), False),
    ("ForAnyValue:StringEquals", ["a"], ctx(aws_k=["a"]), True),
    ("ForAllValues:StringEquals", ["a"], ctx(aws_k=["a"]), True),
    ("ForAnyValue:StringEquals", ["a"], ctx(aws_k="a"), True),
    ("Null", ["false"], ctx(aws_k=["a"]), True),
    ("Null", ["true"], ctx(aws_k=["a"]), False),
    ("ForAllValues:StringLike", ["a*"], ctx(aws_k=["ab", "ac"]), True),
    ("ForAllValues:StringNotEquals", ["a"], ctx(aws_k=["b", "c"]), True),
    ("ForAllValues:StringNotEquals", ["a"], ctx(), True),
    ("ForAnyValue:StringNotEquals", ["a"], ctx(), False),
    ("StringNotEqualsIfExists", ["a"], ctx(), True),
    ("Null", ["false"], ctx(aws_k=[]), False),
])
def test_operator_table(operator, policy, context, expected):
    assert Condition(operator, "aws:K", tuple(policy), True).holds(context) == expected


def test_context_values_know_single_from_multivalued():
    context = normalise_context({"aws:TagKeys": ["a"], "aws:username": "bob", "AWS:USERNAME": "eve", "n": 5})
    assert isinstance(context["aws:tagkeys"], MultiValue) and context["aws:tagkeys"] == ("a",)
    assert not isinstance(context["n"], MultiValue) and context["n"] == ("5",)
    # Two spellings of one key hold two values: the key is then multivalued.
    assert isinstance(context["aws:username"], MultiValue) and context["aws:username"] == ("bob", "eve")
