"""Inline policies of users and groups: iam-{user,group}uploadpolicy, -listpolicies and -delpolicy.

From the IAM CLI Reference (iam-useruploadpolicy): ``-p POLICYNAME`` and either ``-f POLICYDOCUMENTFILE``
or ``-o POLICYDOCUMENT``, never both; a successful upload prints nothing. A listing prints each policy
name then ``IsTruncated: false``; with ``-p NAME`` it prints that policy's document as compact JSON.
The reference we could read gives no format for ``-v``: we print each name followed by its document.
"""

from __future__ import annotations

import json
from pathlib import Path

from iamd.toolkit import common
from iamd.toolkit.common import TRUNCATED, command, group_arg, pages, user_arg


def compact(document) -> str:
    """boto3 hands back the document parsed (botocore URL-decodes and loads it); print it on one line,
    non-ASCII text as itself, as it was uploaded."""
    if isinstance(document, str):
        return document
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _document(args) -> str:
    if args.document is not None:
        return args.document
    try:
        return Path(args.document_file).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise common.ToolkitError(f"cannot read the policy file {args.document_file}: {exc.strerror}") from exc


def _upload_flags(owner_arg):
    def configure(p):
        owner_arg(p)
        p.add_argument("-p", dest="policy", metavar="POLICYNAME", required=True, help="name to give the policy")
        source = p.add_mutually_exclusive_group(required=True)
        source.add_argument("-f", dest="document_file", metavar="POLICYDOCUMENTFILE",
                            help="path of the file containing the policy")
        source.add_argument("-o", dest="document", metavar="POLICYDOCUMENT", help="the policy, as JSON text")
    return configure


def _list_flags(owner_arg):
    def configure(p):
        owner_arg(p)
        p.add_argument("-p", dest="policy", metavar="POLICYNAME", help="print this policy's document")
        p.add_argument("-v", dest="verbose", action="store_true", help="print each policy's document too")
    return configure


def _delete_flags(owner_arg):
    def configure(p):
        owner_arg(p)
        p.add_argument("-p", dest="policy", metavar="POLICYNAME", required=True, help="the policy to delete")
    return configure


def _user_upload(iam, args):
    iam.put_user_policy(UserName=args.user, PolicyName=args.policy, PolicyDocument=_document(args))
    return ()


def _group_upload(iam, args):
    iam.put_group_policy(GroupName=args.group, PolicyName=args.policy, PolicyDocument=_document(args))
    return ()


def _user_list(iam, args):
    def document(name):
        return iam.get_user_policy(UserName=args.user, PolicyName=name)["PolicyDocument"]
    return _listing(lambda: pages(iam, "list_user_policies", "PolicyNames", UserName=args.user), document, args)


def _group_list(iam, args):
    def document(name):
        return iam.get_group_policy(GroupName=args.group, PolicyName=name)["PolicyDocument"]
    return _listing(lambda: pages(iam, "list_group_policies", "PolicyNames", GroupName=args.group), document, args)


def _listing(names, document, args):
    if args.policy:
        yield compact(document(args.policy))
        return
    for name in names():
        yield name
        if args.verbose:
            yield compact(document(name))
    yield TRUNCATED


def _user_delete(iam, args):
    iam.delete_user_policy(UserName=args.user, PolicyName=args.policy)
    return ()


def _group_delete(iam, args):
    iam.delete_group_policy(GroupName=args.group, PolicyName=args.policy)
    return ()


useruploadpolicy = command("iam-useruploadpolicy", "Attaches a policy to a user, replacing one of the same name.",
                           _upload_flags(user_arg), _user_upload)
userlistpolicies = command("iam-userlistpolicies", "Lists a user's policies, or prints one of them.",
                           _list_flags(user_arg), _user_list)
userdelpolicy = command("iam-userdelpolicy", "Deletes a policy from a user.", _delete_flags(user_arg), _user_delete)
groupuploadpolicy = command("iam-groupuploadpolicy", "Attaches a policy to a group, replacing one of the same name.",
                            _upload_flags(group_arg), _group_upload)
grouplistpolicies = command("iam-grouplistpolicies", "Lists a group's policies, or prints one of them.",
                            _list_flags(group_arg), _group_list)
groupdelpolicy = command("iam-groupdelpolicy", "Deletes a policy from a group.", _delete_flags(group_arg),
                         _group_delete)
