"""Errors that keep their fields: nobody parses a message to learn what it says."""

from iamd import errors
from iamd.protocol import constraints, model


def test_validation_error_words_its_problems_as_aws_does_and_keeps_them():
    problems = [errors.Problem("userName", "Value at 'userName' failed to satisfy constraint: A"),
                errors.Problem("tags.1.member.key", "Value at 'tags.1.member.key' failed to satisfy constraint: B")]
    error = errors.ValidationError.detected(problems)
    assert error.message == ("2 validation errors detected: Value at 'userName' failed to satisfy constraint: A; "
                             "Value at 'tags.1.member.key' failed to satisfy constraint: B")
    assert error.problems == tuple(problems)
    assert errors.ValidationError.detected(problems[:1]).message.startswith("1 validation error detected: ")


def test_constraint_checks_name_the_member_of_each_problem():
    operation = model.operation_model("iam", "CreateUser")
    try:
        constraints.check_constraints(operation, {"UserName": "", "Path": "no-slash"})
    except errors.ValidationError as error:
        assert [p.member for p in error.problems] == ["path", "userName", "userName"]
        assert error.message.endswith("; ".join(p.message for p in error.problems))
    else:
        raise AssertionError("no ValidationError")


def test_access_denied_keeps_what_was_refused():
    error = errors.AccessDenied("User: u is not authorized to perform: iam:ListUsers on resource: r",
                                action="iam:ListUsers", resource="r", decision="d")
    assert (error.action, error.resource, error.decision) == ("iam:ListUsers", "r", "d")
    assert errors.AccessDenied("no").action == ""
