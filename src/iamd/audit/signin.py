"""ConsoleLogin events: a console sign-in, successful or not, as CloudTrail records it ("AWS Management
Console sign-in events", AWS CloudTrail User Guide): event source signin.amazonaws.com, event type
AwsConsoleSignIn, ``responseElements.ConsoleLogin`` Success or Failure, ``additionalEventData.MFAUsed``.
A failed sign-in of a user name that does not exist hides the name (HIDDEN_DUE_TO_SECURITY_REASONS), so
that the trail does not collect the passwords people type into the user name field."""

from __future__ import annotations

import time
from typing import Any

from iamd.audit.record import EVENT_VERSION, Event, time_ordered_id
from iamd.security import ids
from iamd.service.context import Principal

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SOURCE = "signin.amazonaws.com"


def console_login(account_id: str, principal: Principal | None, success: bool, mfa_used: bool, source_ip: str,
                  user_agent: str, login_to: str) -> Event:
    """``principal`` None: the user name typed matches no user of the account (or no account)."""
    now = time.time()
    event_ms = int(now * 1000)
    event_id = time_ordered_id(event_ms)
    if principal is None:
        identity = {"type": "IAMUser", "accountId": account_id, "accessKeyId": "", "userName": HIDDEN}
        username, principal_key = HIDDEN, None
    elif principal.is_root:
        identity = {"type": "Root", "principalId": account_id, "arn": ids.root_arn(account_id),
                    "accountId": account_id, "accessKeyId": ""}
        username, principal_key = "root", principal.arn
    else:
        identity = {"type": "IAMUser", "principalId": principal.id, "arn": principal.arn, "accountId": account_id,
                    "accessKeyId": "", "userName": principal.name}
        username, principal_key = principal.name, principal.arn
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION, "userIdentity": identity,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "eventSource": SOURCE,
        "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": source_ip, "userAgent": user_agent,
    }
    if not success:
        record["errorMessage"] = "Failed authentication"
    record.update({
        "requestParameters": None, "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": {"LoginTo": login_to, "MobileVersion": "No", "MFAUsed": "Yes" if mfa_used else "No"},
        "eventID": event_id, "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True,
        "recipientAccountId": account_id, "eventCategory": "Management",
    })
    return Event(record=record, event_id=event_id, account_id=account_id, event_ms=event_ms, event_source=SOURCE,
                 event_name="ConsoleLogin", username=username, access_key_id=None, read_only=False,
                 principal_key=principal_key, error_code=None if success else "Failed authentication")
