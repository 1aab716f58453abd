"""Access keys: iam-useraddkey, iam-userdelkey, iam-userlistkeys, iam-usermodkey.

``iam-useraddkey`` prints the new key's id then its secret. ``iam-userlistkeys`` prints, for each key, its
id then its status on the next line, then ``IsTruncated: false`` (the form scripts of the time filter
with ``grep -v Active | grep -v IsTruncated``). Without ``-u`` IAM answers for the caller's own user.
"""

from __future__ import annotations

from iamd.toolkit.common import TRUNCATED, command, pages, user_arg, user_params


def _owner(p):
    user_arg(p, required=False, help="the name of the user; the caller's own user without it")


def _key_flags(p):
    _owner(p)
    p.add_argument("-k", dest="key", metavar="USERKEYID", required=True, help="the access key id")


def _add(iam, args):
    key = iam.create_access_key(**user_params(args))["AccessKey"]
    yield key["AccessKeyId"]
    yield key["SecretAccessKey"]


def _delete(iam, args):
    iam.delete_access_key(AccessKeyId=args.key, **user_params(args))
    return ()


def _list(iam, args):
    for key in pages(iam, "list_access_keys", "AccessKeyMetadata", **user_params(args)):
        yield key["AccessKeyId"]
        yield key["Status"]
    yield TRUNCATED


def _mod_flags(p):
    _key_flags(p)
    p.add_argument("-s", dest="status", metavar="STATUS", required=True, choices=["Active", "Inactive"],
                   help="Active or Inactive")


def _mod(iam, args):
    iam.update_access_key(AccessKeyId=args.key, Status=args.status, **user_params(args))
    return ()


useraddkey = command("iam-useraddkey", "Creates an access key for a user.", _owner, _add)
userdelkey = command("iam-userdelkey", "Deletes an access key.", _key_flags, _delete)
userlistkeys = command("iam-userlistkeys", "Lists a user's access keys and their status.", _owner, _list)
usermodkey = command("iam-usermodkey", "Makes an access key Active or Inactive.", _mod_flags, _mod)
