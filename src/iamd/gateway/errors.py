"""The errors only the gateway answers, in AWS's codes; ``refusals.py`` words them in each service's shape.

The codes are Amazon S3's where S3 has one ("Error responses" in the Amazon S3 API Reference);
``refusals.py`` renames them for the JSON and Query services."""

from __future__ import annotations

from iamd.errors import AwsError


class GatewayError(AwsError):
    """An error iamd's gateway answers itself, in the forwarded service's shape."""


class RequestTimeTooSkewed(GatewayError):
    code, status = "RequestTimeTooSkewed", 403


class ContentHashMismatch(GatewayError):
    code, status = "XAmzContentSHA256Mismatch", 400


class BadDigest(GatewayError):
    code, status = "BadDigest", 400


class IncompleteBody(GatewayError):
    code, status = "IncompleteBody", 400


class InvalidRequest(GatewayError):
    code, status = "InvalidRequest", 400


class RequestTooLarge(GatewayError):
    code, status = "EntityTooLarge", 413


class RequestTimeout(GatewayError):
    code, status = "RequestTimeout", 400


class Unrecognized(GatewayError):
    """The gateway could not tell which service or operation a request is for: never forwarded unchecked."""

    code, status = "UnrecognizedRequest", 400


class UpstreamUnavailable(GatewayError):
    code, status = "ServiceUnavailable", 503
    sender_fault = False
