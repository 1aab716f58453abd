"""What ``iam-userdel -r`` and ``iam-groupdel -r`` remove before the delete, and the ``-p`` listing of it.

IAM refuses to delete a user or group that still has anything attached (DeleteConflict), so the
recursive delete takes each kind off first. Each kind is (heading, items, remove one item).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from botocore.exceptions import ClientError

from iamd.toolkit.common import pages

Dependents = list[tuple[str, list[str], Callable[[str], object]]]

INDENT = "     "  # the reference's -r -p example indents each item under its heading


def user_dependents(iam, user: str) -> Dependents:
    return [
        ("accesskeys", [k["AccessKeyId"] for k in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=user)],
         lambda key: iam.delete_access_key(UserName=user, AccessKeyId=key)),
        ("certificates", [c["CertificateId"] for c in iam.list_signing_certificates(UserName=user)["Certificates"]],
         lambda cert: iam.delete_signing_certificate(UserName=user, CertificateId=cert)),
        ("sshkeys", [k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]],
         lambda key: iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key)),
        ("servicecredentials", [c["ServiceSpecificCredentialId"] for c in
                                iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]],
         lambda cred: iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred)),
        ("mfadevices", [d["SerialNumber"] for d in pages(iam, "list_mfa_devices", "MFADevices", UserName=user)],
         lambda serial: iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)),
        ("loginprofile", [user] if _has_login_profile(iam, user) else [],
         lambda _: iam.delete_login_profile(UserName=user)),
        ("policies", list(pages(iam, "list_user_policies", "PolicyNames", UserName=user)),
         lambda name: iam.delete_user_policy(UserName=user, PolicyName=name)),
        ("attachedpolicies", [p["PolicyArn"] for p in
                              pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user)],
         lambda arn: iam.detach_user_policy(UserName=user, PolicyArn=arn)),
        ("groups", [g["GroupName"] for g in pages(iam, "list_groups_for_user", "Groups", UserName=user)],
         lambda group: iam.remove_user_from_group(GroupName=group, UserName=user)),
    ]


def group_dependents(iam, group: str) -> Dependents:
    return [
        ("users", [u["UserName"] for u in pages(iam, "get_group", "Users", GroupName=group)],
         lambda user: iam.remove_user_from_group(GroupName=group, UserName=user)),
        ("policies", list(pages(iam, "list_group_policies", "PolicyNames", GroupName=group)),
         lambda name: iam.delete_group_policy(GroupName=group, PolicyName=name)),
        ("attachedpolicies", [p["PolicyArn"] for p in
                              pages(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group)],
         lambda arn: iam.detach_group_policy(GroupName=group, PolicyArn=arn)),
    ]


def clear(dependents: Dependents, pretend: bool) -> Iterator[str]:
    """Remove every dependent; with ``pretend``, only list them (the only output of a recursive delete)."""
    for heading, items, remove in dependents:
        if pretend and items:
            yield heading
            yield from (INDENT + item for item in items)
        elif not pretend:
            _each(items, remove)


def _each(items: Iterable[str], remove: Callable[[str], object]) -> None:
    for item in items:
        remove(item)


def _has_login_profile(iam, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return False
        raise
    return True
