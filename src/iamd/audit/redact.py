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
        shaped = {}
        for key, item in value.items():
            if item is None:
                continue
            name = _NAMES.get(key)
            if name is None:
                name = _cloudtrail_name(key)
            if name:  # "": a secret's member
                shaped[name] = item if type(item) is str else cloudtrail_value(item)
        return shaped
    if isinstance(value, (list, tuple)):
        return [item if type(item) is str else cloudtrail_value(item) for item in value]
    if isinstance(value, datetime):
        return java_date(value)
    if isinstance(value, bytes):
        return None
    return value


# A member's CloudTrail name, "" for a secret's, made once: lower-casing, testing and renaming each member
# of each value cost more than the rest of cloudtrail_value. Cleared when full (members are the
# caller's too: a Context's keys, a tag's).
_NAMES: dict[str, str] = {}
_MAX_NAMES = 10_000


def cloudtrail_name(member: str) -> str:
    """A member's name as cloudtrail_value writes it, "" for a secret's (left out)."""
    name = _NAMES.get(member)
    return _cloudtrail_name(member) if name is None else name


def _cloudtrail_name(member: str) -> str:
    name = "" if member.lower() in SENSITIVE else member_name(member)
    if len(_NAMES) >= _MAX_NAMES:
        _NAMES.clear()
    _NAMES[member] = name
    return name


def java_date(value: datetime) -> str:
    """IAM and STS write dates in responseElements as Java prints them: "Nov 25, 2026, 5:30:00 PM"."""
    hour = value.hour % 12 or 12
    return f"{value:%b} {value.day}, {value.year}, {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"
