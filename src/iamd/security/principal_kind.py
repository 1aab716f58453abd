"""The kinds of caller iamd knows, as AWS's ARNs name them (``arn:aws:sts::...:assumed-role/...``).

A ``StrEnum``: a member is its string, so the kind goes into a sealed session token, a log line or an
audit record as the plain word it always was.
"""

from __future__ import annotations

from enum import StrEnum


class PrincipalKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ASSUMED_ROLE = "assumed-role"
    FEDERATED_USER = "federated-user"
    ANONYMOUS = "anonymous"  # the caller of an unsigned operation (AssumeRoleWithSAML): nobody yet
