"""Errors iamd answers with, as AWS names them.

Every error a client can see is an ``AwsError``: a code, an HTTP status, a message and whether the
sender is at fault. The code and status are class data; the message is made per raise. The protocol
layer turns one into the Query protocol's ``<ErrorResponse>``.

    AwsError                        status  code, when the class is named otherwise
    ├── input
    │   ├── ValidationError            400  constraint checks (each violation kept: Problem), malformed ARNs
    │   ├── InvalidInput               400
    │   ├── InvalidParameterValue      400
    │   ├── MissingParameter           400
    │   ├── MalformedPolicyDocument    400
    │   ├── PasswordPolicyViolation    400
    │   ├── InvalidUserType            400
    │   ├── InvalidAction              400  unknown Action
    │   ├── MissingAction              400
    │   └── MalformedQueryString       404
    ├── entities
    │   ├── NoSuchEntity               404
    │   ├── EntityAlreadyExists        409
    │   ├── DeleteConflict             409
    │   ├── LimitExceeded              409
    │   ├── EntityTemporarilyUnmodifiable 409
    │   └── UnmodifiableEntity         400  a service-linked role, changed by hand
    ├── keys and certificates      InvalidPublicKey, UnrecognizedPublicKeyEncoding, DuplicateSSHPublicKey,
    │                              MalformedCertificate, InvalidCertificate, KeyPairMismatch 400;
    │                              DuplicateCertificate 409
    ├── reports                    ReportInProgress 404, ReportNotPresent 410, ReportExpired 410
    ├── authentication             MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId,
    │                              SignatureDoesNotMatch, RequestExpired, ExpiredToken,
    │                              InvalidAuthenticationCode 403
    ├── authorization              AccessDenied 403 (with the action, resource and decision refused, when
    │                              known); OrganizationNotFound 400
    │                              (OrganizationNotFoundException: no account here is in an organization)
    ├── STS                        PackedPolicyTooLarge, InvalidSubjectCredentials, InsufficientSessionLifetime,
    │                              InvalidAuthorizationMessage (InvalidAuthorizationMessageException) 400;
    │                              RegionDisabled 403
    ├── federation                 InvalidIdentityToken, ExpiredTokenException, IDPCommunicationError 400;
    │                              IDPRejectedClaim 403
    ├── outbound federation        FeatureEnabled 409, FeatureDisabled 404, OutboundFederationDisabled
    │                              (OutboundWebIdentityFederationDisabledException) 403,
    │                              JWTPayloadSizeExceeded (JWTPayloadSizeExceededException) 400
    ├── NotImplementedOperation    501  NotImplemented: an operation of the model iamd does not serve yet
    └── ServiceFailure             500  a bug: logged with its traceback, answered without details

Every class derives from AwsError directly; the groups above are for reading only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class AwsError(Exception):
    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = True

    def __init__(self, message: str | None = None):
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


@dataclass(frozen=True, slots=True)
class Problem:
    """One violation a ValidationError reports: the member path it concerns, as AWS spells it
    (``userName``, ``tags.1.member.key``; empty when none), and AWS's words for it."""

    member: str
    message: str


class ValidationError(AwsError):
    """``problems``: the violations one by one, when the message lists them (``n validation errors
    detected: ...``), so that nobody splits the message apart again (the console keys them by field)."""

    code, status = "ValidationError", 400

    def __init__(self, message: str | None = None, problems: Sequence[Problem] = ()):
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def detected(cls, problems: Sequence[Problem]) -> ValidationError:
        """AWS's wording of one or more constraint violations, the problems kept."""
        n = len(problems)
        plural = "s" if n > 1 else ""
        return cls(f"{n} validation error{plural} detected: " + "; ".join(p.message for p in problems), problems)


class InvalidInput(AwsError):
    code, status = "InvalidInput", 400


class MalformedPolicyDocument(AwsError):
    code, status = "MalformedPolicyDocument", 400


class InvalidAction(AwsError):
    code, status = "InvalidAction", 400


class NotImplementedOperation(AwsError):
    """An operation of AWS's model that iamd does not serve yet."""

    code, status = "NotImplemented", 501


class MissingAction(AwsError):
    code, status = "MissingAction", 400


class MissingParameter(AwsError):
    code, status = "MissingParameter", 400


class MalformedQueryString(AwsError):
    code, status = "MalformedQueryString", 404


class InvalidParameterValue(AwsError):
    code, status = "InvalidParameterValue", 400


class NoSuchEntity(AwsError):
    code, status = "NoSuchEntity", 404


class EntityAlreadyExists(AwsError):
    code, status = "EntityAlreadyExists", 409


class DeleteConflict(AwsError):
    code, status = "DeleteConflict", 409


class LimitExceeded(AwsError):
    code, status = "LimitExceeded", 409


class AccessDenied(AwsError):
    """``action`` and ``resource``: what was refused, when the refusal names them (the console shows
    them); ``decision``: the policy engine's ``Decision`` when policies were evaluated (the audit
    record names the statement that denied). The message alone goes on the wire."""

    code, status = "AccessDenied", 403

    def __init__(self, message: str | None = None, *, action: str = "", resource: str = "",
                 decision: object = None):
        super().__init__(message)
        self.action = action
        self.resource = resource
        self.decision = decision


class OrganizationNotFound(AwsError):
    """Its model shape has no error trait, so the wire code is the shape's name (botocore reads it so)."""

    code, status = "OrganizationNotFoundException", 400


class PasswordPolicyViolation(AwsError):
    code, status = "PasswordPolicyViolation", 400


# SSH public keys, signing and server certificates.
class InvalidPublicKey(AwsError):
    code, status = "InvalidPublicKey", 400


class UnrecognizedPublicKeyEncoding(AwsError):
    code, status = "UnrecognizedPublicKeyEncoding", 400


class DuplicateSSHPublicKey(AwsError):
    code, status = "DuplicateSSHPublicKey", 400


class MalformedCertificate(AwsError):
    code, status = "MalformedCertificate", 400


class InvalidCertificate(AwsError):
    code, status = "InvalidCertificate", 400


class DuplicateCertificate(AwsError):
    code, status = "DuplicateCertificate", 409


class KeyPairMismatch(AwsError):
    code, status = "KeyPairMismatch", 400


class InvalidAuthenticationCode(AwsError):
    code, status = "InvalidAuthenticationCode", 403


class UnmodifiableEntity(AwsError):
    code, status = "UnmodifiableEntity", 400


class InvalidUserType(AwsError):
    code, status = "InvalidUserType", 400


class EntityTemporarilyUnmodifiable(AwsError):
    code, status = "EntityTemporarilyUnmodifiable", 409


class ReportNotPresent(AwsError):
    code, status = "ReportNotPresent", 410


class ReportExpired(AwsError):
    code, status = "ReportExpired", 410


class ReportInProgress(AwsError):
    code, status = "ReportInProgress", 404


class ServiceFailure(AwsError):
    code, status, sender_fault = "ServiceFailure", 500, False


# Authentication: all 403, raised before the request is decoded.
class MissingAuthenticationToken(AwsError):
    code, status = "MissingAuthenticationToken", 403


class IncompleteSignature(AwsError):
    code, status = "IncompleteSignature", 403


class InvalidClientTokenId(AwsError):
    code, status = "InvalidClientTokenId", 403


class SignatureDoesNotMatch(AwsError):
    code, status = "SignatureDoesNotMatch", 403


class RequestExpired(AwsError):
    code, status = "RequestExpired", 403


class ExpiredToken(AwsError):
    code, status = "ExpiredToken", 403


class IDPRejectedClaim(AwsError):
    code, status = "IDPRejectedClaim", 403


# Web identity: the issuer could not be reached.
class IDPCommunicationError(AwsError):
    code, status = "IDPCommunicationError", 400


# Outbound web identity federation (iamd as an OIDC issuer).
class FeatureEnabled(AwsError):
    code, status = "FeatureEnabled", 409


class FeatureDisabled(AwsError):
    code, status = "FeatureDisabled", 404


class OutboundFederationDisabled(AwsError):
    code, status = "OutboundWebIdentityFederationDisabledException", 403


class JWTPayloadSizeExceeded(AwsError):
    code, status = "JWTPayloadSizeExceededException", 400


class InvalidSubjectCredentials(AwsError):
    code, status = "InvalidSubjectCredentials", 400


class InsufficientSessionLifetime(AwsError):
    code, status = "InsufficientSessionLifetime", 400


class PackedPolicyTooLarge(AwsError):
    code, status = "PackedPolicyTooLarge", 400


# Federation: a token (SAML response, web identity token) that does not hold.
class InvalidIdentityToken(AwsError):
    code, status = "InvalidIdentityToken", 400


class ExpiredTokenException(AwsError):
    """STS's code for an expired federation token (unlike ExpiredToken, for expired session credentials)."""

    code, status = "ExpiredTokenException", 400


class InvalidAuthorizationMessage(AwsError):
    code, status = "InvalidAuthorizationMessageException", 400


class RegionDisabled(AwsError):
    code, status = "RegionDisabled", 403
