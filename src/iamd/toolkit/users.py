"""iam-usercreate, iam-userdel, iam-usergetattributes, iam-userlistbypath, iam-usermod, iam-userlistgroups.

Output as the IAM CLI Reference gives it: ``-v`` prints the ARN then the id; ``-k`` prints the new key's id
then its secret, before the ARN (the reference's ``iam-usercreate -k -v`` example). The listings print one
ARN a line. ``iam-userdel -r -p`` prints what would go, a heading a kind and its items indented below it,
as the reference's example shows for ``accesskeys``; the other headings are ours.
"""

from __future__ import annotations

from iamd.toolkit import common, removal
from iamd.toolkit.common import TRUNCATED, command, pages, user_arg, user_params


def _create_flags(p):
    user_arg(p)
    p.add_argument("-p", dest="path", metavar="PATH", default="/", help="the path of the user, defaults to /")
    p.add_argument("-g", dest="groups", metavar="GROUPS", action="append", default=[],
                   help="add user to group(s), comma-separated or -g repeated")
    p.add_argument("-k", dest="key", action="store_true", help="create a key for the user")
    p.add_argument("-v", dest="verbose", action="store_true", help="print out the newly created user's arn and guid")


def _create(iam, args):
    user = iam.create_user(UserName=args.user, Path=args.path)["User"]
    for group in (name for value in args.groups for name in value.split(",") if name):
        iam.add_user_to_group(GroupName=group, UserName=args.user)
    if args.key:
        key = iam.create_access_key(UserName=args.user)["AccessKey"]
        yield key["AccessKeyId"]
        yield key["SecretAccessKey"]
    if args.verbose:
        yield user["Arn"]
        yield user["UserId"]


usercreate = command("iam-usercreate", "Creates a new user in your account. You can also optionally add the user "
                     "to one or more groups, and create an access key for the user.", _create_flags, _create)


def _del_flags(p):
    user_arg(p, help="the name of the user to delete")
    p.add_argument("-r", dest="recursive", action="store_true",
                   help="also remove the user from its groups and delete its keys, certificates and policies")
    p.add_argument("-p", dest="pretend", action="store_true",
                   help="with -r: list what would be deleted, delete nothing")


def _del(iam, args):
    if args.pretend and not args.recursive:
        raise common.ToolkitError("-p (pretend) applies only together with -r")
    if args.recursive:
        yield from removal.clear(removal.user_dependents(iam, args.user), pretend=args.pretend)
    if not args.pretend:
        iam.delete_user(UserName=args.user)


userdel = command("iam-userdel", "Deletes a user from your account; with -r, everything attached to it first.",
                  _del_flags, _del)


def _getattributes_flags(p):
    user_arg(p, required=False, help="the name of the user; the caller's own user without it")


def _getattributes(iam, args):
    user = iam.get_user(**user_params(args))["User"]
    yield user["Arn"]
    yield user["UserId"]


usergetattributes = command("iam-usergetattributes", "Prints a user's ARN and id.", _getattributes_flags,
                            _getattributes)


def _listbypath_flags(p):
    p.add_argument("-p", dest="prefix", metavar="PATHPREFIX", default="/", help="the path prefix, defaults to /")


def _listbypath(iam, args):
    for user in pages(iam, "list_users", "Users", PathPrefix=args.prefix):
        yield user["Arn"]


userlistbypath = command("iam-userlistbypath", "Lists the users whose path starts with the prefix.",
                         _listbypath_flags, _listbypath)


def _mod_flags(p):
    user_arg(p)
    p.add_argument("-n", dest="new_name", metavar="NEWUSERNAME", help="the user's new name")
    p.add_argument("-p", dest="new_path", metavar="NEWPATH", help="the user's new path")


def _mod(iam, args):
    if not (args.new_name or args.new_path):
        raise common.ToolkitError("give -n NEWUSERNAME or -p NEWPATH (or both)")
    changes = {"NewUserName": args.new_name, "NewPath": args.new_path}
    iam.update_user(UserName=args.user, **{k: v for k, v in changes.items() if v})
    return ()


usermod = command("iam-usermod", "Renames a user or changes its path.", _mod_flags, _mod)


def _listgroups_flags(p):
    user_arg(p)


def _listgroups(iam, args):
    for group in pages(iam, "list_groups_for_user", "Groups", UserName=args.user):
        yield group["Arn"]
    yield TRUNCATED


userlistgroups = command("iam-userlistgroups", "Lists the groups a user belongs to.", _listgroups_flags, _listgroups)
