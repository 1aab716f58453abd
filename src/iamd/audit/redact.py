"""What CloudTrail never shows of an IAM or STS call, and the member names it uses.

"Logging IAM and AWS STS API calls with AWS CloudTrail" (IAM User Guide): the events of CreateAccessKey,
AssumeRole* and GetSessionToken carry no secret access key; CreateLoginProfile, UpdateLoginProfile and
ChangePassword carry no password; AssumeRoleWithSAML and AssumeRoleWithWebIdentity carry no assertion or
token. iamd goes one step further than AWS's STS events: the session token is dropped too, since it is
a credential's half as good as the secret. Members are dropped wherever they are nested.
"""

from __future__ import annotations

from datetime import datetime

# Lower-cased member names, as the API spells them (CloudTrail's names differ only in the first letter).
SENSITIVE = frozenset({
    "password", "oldpassword", "newpassword", "secretaccesskey", "sessiontoken", "securitytoken",
    "samlassertion", "webidentitytoken", "privatekey", "servicepassword", "base32stringseed", "qrcodepng",
    "authenticationcode1", "authenticationcode2", "tokencode", "clientsecret",
})


def member_name(name: str) -> str:
    """The API's member name as CloudTrail writes it: UserName → userName, SAMLProviderArn → sAMLProviderArn."""
    return name[:1].lower() + name[1:]


def cloudtrail_value(value):
    """A request's or response's value in CloudTrail's shape, without what must never be logged."""
    if isinstance(value, dict):
        return {member_name(key): cloudtrail_value(item) for key, item in value.items()
                if key.lower() not in SENSITIVE and item is not None}
    if isinstance(value, (list, tuple)):
        return [cloudtrail_value(item) for item in value]
    if isinstance(value, datetime):
        return java_date(value)
    if isinstance(value, bytes):
        return None
    return value


def java_date(value: datetime) -> str:
    """IAM and STS write dates in responseElements as Java prints them: "Nov 25, 2026, 5:30:00 PM"."""
    hour = value.hour % 12 or 12
    return f"{value:%b} {value.day}, {value.year}, {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"
