"""AWS Signature Version 4: who signed a request, and whether the signature holds.

Steps, so that the caller can look up the secret between them:

    signed = parse_signature(method, raw_path, raw_query, headers, body, query)  # no secrets needed
    check_freshness(signed, now)                       # dated within 15 minutes, presigned unexpired
    check_service(signed, "iam")                       # once the Action has told which service serves it
    verify_signature(signed, secret)                   # constant-time compare

``parse_signature(..., services=(...))`` refuses a scope naming another service at once, for a caller
that serves only those (the JSON APIs).

Both the Authorization header and presigned query strings (X-Amz-Signature) are understood. The
error codes and messages are AWS's own (MissingAuthenticationToken, IncompleteSignature,
SignatureDoesNotMatch with "Signature expired: ..." for a request dated more than 15 minutes off).

What AWS requires beyond a matching signature (IAM User Guide, "Create a signed AWS API request"):
``host`` is always a signed header; the payload hash is that of the body actually received, since
``UNSIGNED-PAYLOAD`` is Amazon S3's alone and a Query request's parameters are its body; the scope
names the service the endpoint serves (``check_service``, once the Action has told which).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from iamd.errors import IncompleteSignature, MissingAuthenticationToken, SignatureDoesNotMatch

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
_MIN_AGE = -MAX_SKEW  # dated later than this ahead of the clock: not yet current
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


# The longest path or query kept by the canonicalization caches: any client, signed or not, chooses
# them, and a cache of 1,024 entries must not hold 1,024 request lines of megabytes each.
CACHED_LENGTH = 1024


class _ShortInputsCached:
    """A pure function of a path or query (its first argument), remembered for short inputs: a forwarded
    request's path and query are canonicalized twice (verified, then re-signed)."""

    def __init__(self, function: Callable[..., str]):
        self.function = function
        self.cached = lru_cache(maxsize=1024)(function)

    def __call__(self, text: str, *args: object, **kwargs: object) -> str:
        return (self.cached if len(text) <= CACHED_LENGTH else self.function)(text, *args, **kwargs)


@dataclass(slots=True)  # not frozen: see service/context.py's Call
class SignedRequest:
    access_key_id: str
    scope_date: str  # YYYYMMDD
    region: str
    service: str
    signed_at: datetime
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str
    security_token: str | None
    expires: int | None  # presigned only
    canonical_request: str

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/aws4_request"


def has_authentication(headers: dict[str, str], query: dict[str, str]) -> bool:
    """Whether a request carries a SigV4 signature at all (header or presigned): the gateway's unsigned
    requests are anonymous, not refused."""
    return "authorization" in headers or "X-Amz-Signature" in query or "X-Amz-Credential" in query


def parse_signature(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    query: dict[str, str],
    services: tuple[str, ...] | None = None,
    *,
    payload_hash: str | None = None,
    s3: bool = False,
    twice: bool = False,
) -> SignedRequest:
    """Read the signature's claims and build the canonical request. ``headers`` has lower-case names.

    ``payload_hash``: the hash to put in the canonical request instead of the body's (Amazon S3's
    x-amz-content-sha256: UNSIGNED-PAYLOAD, STREAMING-..., or the body's hash checked as it streams; the
    authorization API's callers verify requests whose bodies iamd never sees).
    ``s3``: Amazon S3's canonical URI, the path encoded once and never normalized; ``twice``: every other
    service's (the gateway's), normalized and encoded twice. Neither: iamd's own, whose path is ``/``."""
    authorization = headers.get("authorization")
    claims = None
    if authorization is not None:
        claims = _header_claims(authorization, headers)
        if claims is None:  # something missing or malformed: the general parse names it
            fields, raw_date = _header_fields(authorization, headers)
        security_token = headers.get("x-amz-security-token")
        expires = None
    elif "X-Amz-Signature" in query or "X-Amz-Credential" in query:
        fields, raw_date = _query_fields(query)
        security_token = query.get("X-Amz-Security-Token")
        expires = _expires(query.get("X-Amz-Expires"))
    else:
        raise MissingAuthenticationToken("Request is missing Authentication Token")

    if claims is not None:
        credential_text, credential, signed_headers, signature, raw_date = claims
    else:
        credential_text, signature = fields["Credential"], fields["Signature"]
        credential = credential_text.split("/")
        signed_headers = tuple(fields["SignedHeaders"].split(";"))
    if len(credential) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential_text}'"
        )
    key_id, scope_date, region, service, terminator = credential
    if terminator != "aws4_request":
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        )
    if services is not None and service not in services:  # a caller that serves only these (JSON APIs)
        raise SignatureDoesNotMatch(f"Credential should be scoped to correct service: '{service}'. ")
    signed_at, amz_date = _signing_date(raw_date)
    if scope_date != amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if "host" not in signed_headers:
        raise SignatureDoesNotMatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    # Positional: every request passes here, and keywords cost more than the arguments themselves.
    canonical = _canonical_request(method, raw_path, raw_query, headers, body, signed_headers, authorization is None,
                                   payload_hash, s3, twice)
    # Positional (the fields' order): eleven keywords cost a request more than building the object.
    return SignedRequest(key_id, scope_date, region, service, signed_at, amz_date, signed_headers, signature,
                         security_token, expires, canonical)


def parse_string_to_sign(access_key_id: str, string_to_sign: str, signature: str,
                         security_token: str | None = None) -> SignedRequest:
    """The claims of a SigV4 string to sign (algorithm, date, scope, canonical request hash), for
    ``verify_string_to_sign``. ``canonical_request`` stays empty: iamd never sees the request."""
    lines = string_to_sign.split("\n")
    if len(lines) != 4 or lines[0] != ALGORITHM:
        raise IncompleteSignature(f"The string to sign must be 4 lines, the first '{ALGORITHM}'.")
    _, raw_date, scope, _hash = lines
    parts = scope.split("/")
    if len(parts) != 4 or parts[3] != "aws4_request":
        raise IncompleteSignature(
            f"The string to sign's scope must be date/region/service/aws4_request, got '{scope}'.")
    signed_at, amz_date = _signing_date(raw_date)
    if parts[0] != amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{parts[0]}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    return SignedRequest(access_key_id=access_key_id, scope_date=parts[0], region=parts[1], service=parts[2],
                         signed_at=signed_at, amz_date=amz_date, signed_headers=(), signature=signature,
                         security_token=security_token, expires=None, canonical_request="")


def check_service(signed: SignedRequest, expected: str) -> None:
    """The scope must name the service that serves the Action; AWS's message names that service."""
    if signed.service != expected:
        raise SignatureDoesNotMatch(f"Credential should be scoped to correct service: '{expected}'. ")


def check_freshness(signed: SignedRequest, now: datetime) -> None:
    """A request dated more than 15 minutes off, or a presigned URL past its expiry, is refused.

    A presigned URL dated in the future is held to the same 15 minutes: its expiry counts from its
    date, so without this a URL dated ahead would live for its expiry plus the offset."""
    # One subtraction, then comparisons of its age: the same tests as now > signed_at + expires,
    # signed_at < now - 15 min and signed_at > now + 15 min, without a datetime made for each.
    age = now - signed.signed_at
    if signed.expires is not None and age > timedelta(seconds=signed.expires):
        raise SignatureDoesNotMatch(f"Signature expired: {signed.amz_date} is now earlier than "
                                    f"{_format(now - timedelta(seconds=signed.expires))} "
                                    f"({_format(now)} - {signed.expires} sec.)")
    if signed.expires is None and age > MAX_SKEW:
        raise SignatureDoesNotMatch(
            f"Signature expired: {signed.amz_date} is now earlier than {_format(now - MAX_SKEW)} "
            f"({_format(now)} - 15 min.)"
        )
    if age < _MIN_AGE:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {signed.amz_date} is still later than {_format(now + MAX_SKEW)} "
            f"({_format(now)} + 15 min.)"
        )


def verify_signature(signed: SignedRequest, secret_access_key: str) -> None:
    string_to_sign = (f"{ALGORITHM}\n{signed.amz_date}\n{signed.scope_date}/{signed.region}/{signed.service}"
                      f"/aws4_request\n{hashlib.sha256(signed.canonical_request.encode()).hexdigest()}")
    verify_string_to_sign(string_to_sign, signed, secret_access_key)


def verify_string_to_sign(string_to_sign: str, signed: SignedRequest, secret_access_key: str) -> None:
    """The signature over a string to sign the caller built itself (OpenStack's s3tokens hands over the
    string to sign and the signature, never the request): constant-time compare, AWS's message."""
    keyed = _signing_hmac(secret_access_key, signed.scope_date, signed.region, signed.service).copy()
    keyed.update(string_to_sign.encode())
    expected = keyed.hexdigest()
    if not hmac.compare_digest(expected.encode(), signed.signature.encode("utf-8", "replace")):
        raise SignatureDoesNotMatch(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        )


@lru_cache(maxsize=1024)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@lru_cache(maxsize=1024)
def _signing_hmac(secret: str, date: str, region: str, service: str) -> Any:
    """An HMAC keyed with the signing key, to copy for each signature: OpenSSL 3 looks the digest up
    anew on every one-shot ``hmac.digest``, a copy does not (a third of a verification's cost). The
    OpenSSL object itself when there is one: ``hmac.HMAC``'s copy, update and hexdigest are Python
    frames around its methods (~10,000 instructions a request); the same methods either way."""
    keyed = hmac.new(_signing_key(secret, date, region, service), digestmod=hashlib.sha256)
    return getattr(keyed, "_hmac", None) or keyed


_SIGNATURE = ", Signature="


def _header_claims(authorization: str, headers: dict[str, str]
                   ) -> tuple[str, list[str] | tuple[str, ...], tuple[str, ...], str, str] | None:
    """What ``_header_fields`` and the splits after it read from a well-formed header (the credential's
    text and parts, the signed headers, the signature, the date), or None for the general parse and its
    errors. Everything before ``, Signature=`` is the same on every request a client signs in a day, so
    its parse is remembered (``_head_claims``); the signature, the one part that changes, is never cached.
    Exactly the general parse's result: the header's first space falls in that head, and the signature,
    last, holds no comma, so splitting the whole header on commas splits the head the same way."""
    text = authorization.strip()
    head, separator, signature = text.rpartition(_SIGNATURE)
    if not separator or not signature or "," in signature or len(head) > CACHED_LENGTH:
        return None
    raw_date = headers.get("x-amz-date") or headers.get("date")
    claims = _head_claims(head)
    if claims is None or not raw_date:
        return None
    return claims[0], claims[1], claims[2], signature, raw_date


@lru_cache(maxsize=1024)
def _head_claims(head: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """The Authorization header's head, parsed as ``_header_fields`` parses it: (credential, its
    slash-separated parts, the signed headers), or None when anything is missing or the algorithm is not
    SigV4's (the general parse then raises AWS's error). Keyed on text that holds no secret (an access
    key id, a date, a region, a service, header names)."""
    algorithm, space, rest = head.partition(" ")
    if not space or algorithm != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    credential, signed = fields.get("Credential"), fields.get("SignedHeaders")
    if not credential or not signed:
        return None
    return credential, tuple(credential.split("/")), tuple(signed.split(";"))


def _header_fields(authorization: str, headers: dict[str, str]) -> tuple[dict[str, str], str]:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    raw_date = headers.get("x-amz-date") or headers.get("date")
    if raw_date and fields.get("Credential") and fields.get("Signature") and fields.get("SignedHeaders"):
        return fields, raw_date
    problems = [f"Authorization header requires '{name}' parameter."
                for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if not raw_date:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    raise IncompleteSignature(" ".join(problems) + f" Authorization={authorization}")


def _query_fields(query: dict[str, str]) -> tuple[dict[str, str], str]:
    names = {"Credential": "X-Amz-Credential", "Signature": "X-Amz-Signature",
             "SignedHeaders": "X-Amz-SignedHeaders", "Date": "X-Amz-Date"}
    missing = [wire for wire in names.values() if not query.get(wire)]
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        missing.insert(0, "X-Amz-Algorithm")
    if missing:
        raise IncompleteSignature(
            "AWS query-string parameters must include " + ", ".join(f"'{m}'" for m in missing)
            + ". Re-examine the query-string parameters."
        )
    return {name: query[wire] for name, wire in names.items()}, query["X-Amz-Date"]


def _expires(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise IncompleteSignature("X-Amz-Expires must be a number of seconds.") from None
    if not 1 <= value <= 604800:
        raise IncompleteSignature("X-Amz-Expires must be between 1 and 604800 seconds.")
    return value


# The last X-Amz-Date parsed, with its datetime: a busy server's requests share each second's date.
_last_date: tuple[str, datetime] = ("", datetime.min)


def _signing_date(raw: str) -> tuple[datetime, str]:
    global _last_date
    last = _last_date  # one read: another thread may replace it meanwhile
    if raw == last[0]:
        return last[1], raw
    try:
        if len(raw) != 16 or raw[8] != "T" or raw[15] != "Z":
            raise ValueError(raw)
        # By hand: strptime costs a tenth of a request here.
        signed_at = datetime(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]), int(raw[9:11]), int(raw[11:13]),
                             int(raw[13:15]), tzinfo=UTC)
        _last_date = (raw, signed_at)
        return signed_at, raw
    except ValueError:
        try:
            signed_at = parsedate_to_datetime(raw).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            raise IncompleteSignature(
                f"Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ) from None
    return signed_at, _format(signed_at)


def _format(moment: datetime) -> str:
    return moment.strftime(_AMZ_DATE)


def _canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: tuple[str, ...],
    presigned: bool,
    payload_hash: str | None = None,
    s3: bool = False,
    twice: bool = False,
) -> str:
    # A list, not a generator: join makes one of it anyway, and a generator resumes a frame per header.
    # A signed header the request lacks ends it here (a KeyError, not a second pass to look for one).
    try:
        canonical_headers = "".join([f"{name}:{' '.join(headers[name].split())}\n" for name in signed_headers])
    except KeyError:
        raise SignatureDoesNotMatch(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        ) from None
    if payload_hash is None:   # never the client's word for it: see the docstring
        payload_hash = hashlib.sha256(body).hexdigest()
    # iamd's own APIs' path "/" and a POST's empty query, on every request: nothing to canonicalize, and
    # the caches' keyword arguments cost more than that.
    if raw_path == "/" and not s3:
        path = raw_path
    else:
        path = _s3_path(raw_path) if s3 else _canonical_path(raw_path, double=twice)
    return "\n".join((
        method,
        path,
        _canonical_query(raw_query, drop_signature=presigned) if raw_query else "",
        canonical_headers,
        ";".join(signed_headers),
        payload_hash,
    ))


@_ShortInputsCached
def _canonical_path(raw_path: str, double: bool = False) -> str:
    """Every service but S3: the path as botocore signs it, its segments normalized (``.`` and ``..``
    resolved) and encoded twice: the received path is already encoded once."""
    path = raw_path or "/"
    if path == "/":  # iamd's own APIs' path, on every request: nothing to normalize or encode
        return path
    if not double:
        segments = [quote(unquote(segment), safe="-_.~") for segment in path.split("/")]
        return "/".join(segments) or "/"
    normalized: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if normalized:
                normalized.pop()
        elif segment not in (".", ""):
            normalized.append(segment)
    text = "/" + "/".join(normalized) + ("/" if path.endswith("/") and normalized else "")
    return quote(text, safe="/~")


@_ShortInputsCached
def _s3_path(raw_path: str) -> str:
    """Amazon S3: the path encoded once, never normalized (a key may hold ``//`` or ``..``)."""
    return "/".join(quote(unquote(segment), safe="-_.~") for segment in (raw_path or "/").split("/")) or "/"


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key (cached): for the signatures of S3's streamed chunks."""
    return _signing_key(secret, date, region, service)


def signature_of(key: bytes, string_to_sign: str) -> str:
    return hmac.digest(key, string_to_sign.encode(), "sha256").hex()


def authorization_header(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], payload_hash: str,
                         *, access_key_id: str, secret: str, region: str, service: str, amz_date: str,
                         s3: bool) -> str:
    """A SigV4 Authorization header for a request iamd sends (the gateway's forward), every header in
    ``headers`` (lower-case names; host and x-amz-date among them) signed. The same canonical request
    as the one iamd verifies (Amazon S3's path rules with ``s3``, every other service's without), the
    signing key derived once per (secret, date, region, service)."""
    signed_headers = tuple(sorted(headers))
    canonical = _canonical_request(method, raw_path, raw_query, headers, b"", signed_headers, presigned=False,
                                   payload_hash=payload_hash, s3=s3, twice=not s3)
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = signature_of(_signing_key(secret, amz_date[:8], region, service), string_to_sign)
    return (f"{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={';'.join(signed_headers)}, "
            f"Signature={signature}")


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def scope_service(authorization: str | None, raw_query: str) -> str | None:
    """The service a request is signed for, read from its credential scope without checking anything
    (``Credential=KEY/DATE/REGION/SERVICE/aws4_request``), or None when it carries no SigV4 signature."""
    if authorization is not None:
        start = authorization.find("Credential=")
        if start < 0:
            return None
        credential = authorization[start + 11:].split(",", 1)[0]
    else:
        start = raw_query.find("X-Amz-Credential=")
        if start < 0:
            return None
        credential = unquote(raw_query[start + 17:].split("&", 1)[0])
    parts = credential.strip().split("/")
    return parts[3] if len(parts) == 5 else None


@_ShortInputsCached
def _canonical_query(raw_query: str, *, drop_signature: bool) -> str:
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = quote(unquote(name), safe="-_.~")
        if drop_signature and name == "X-Amz-Signature":
            continue
        pairs.append((name, quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)
