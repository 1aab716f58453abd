"""The errors of CloudTrail's LookupEvents and Access Analyzer, by the names their models give them."""

from __future__ import annotations

from iamd.errors import AwsError


class InvalidLookupAttributes(AwsError):
    code, status = "InvalidLookupAttributesException", 400


class InvalidTimeRange(AwsError):
    code, status = "InvalidTimeRangeException", 400


class InvalidMaxResults(AwsError):
    code, status = "InvalidMaxResultsException", 400


class InvalidNextToken(AwsError):
    code, status = "InvalidNextTokenException", 400


class InvalidEventCategory(AwsError):
    code, status = "InvalidEventCategoryException", 400


class JsonValidation(AwsError):
    """A JSON-protocol service's ValidationException (Access Analyzer adds a reason)."""

    code, status = "ValidationException", 400

    def __init__(self, message: str, reason: str = "other", fields: tuple = ()):
        super().__init__(message)
        self.reason = reason
        self.fields = fields


class ResourceNotFound(AwsError):
    code, status = "ResourceNotFoundException", 404

    def __init__(self, message: str, resource_id: str = "", resource_type: str = ""):
        super().__init__(message)
        self.resource_id = resource_id
        self.resource_type = resource_type


class Serialization(AwsError):
    """A JSON member of the wrong type, as AWS's JSON services name it."""

    code, status = "SerializationException", 400
