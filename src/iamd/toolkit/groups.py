"""iam-groupcreate, iam-groupdel, iam-groupmod, iam-groupadduser, iam-groupremoveuser, iam-grouplistbypath,
iam-grouplistusers.

``iam-grouplistbypath`` prints one group ARN a line (as in the IAM CLI walkthroughs). The reference we could
read gives no output for ``iam-grouplistusers`` or ``iam-groupcreate -v``: we print, in the plain style of
the others, the group's ARN, then each member's ARN, then ``IsTruncated: false``; and the ARN then the id.
"""

from __future__ import annotations

from iamd.toolkit import common, removal
from iamd.toolkit.common import TRUNCATED, command, group_arg, pages, user_arg


def _create_flags(p):
    group_arg(p)
    p.add_argument("-p", dest="path", metavar="PATH", default="/", help="the path of the group, defaults to /")
    p.add_argument("-v", dest="verbose", action="store_true", help="print out the new group's arn and guid")


def _create(iam, args):
    group = iam.create_group(GroupName=args.group, Path=args.path)["Group"]
    if args.verbose:
        yield group["Arn"]
        yield group["GroupId"]


groupcreate = command("iam-groupcreate", "Creates a new group in your account.", _create_flags, _create)


def _del_flags(p):
    group_arg(p)
    p.add_argument("-r", dest="recursive", action="store_true",
                   help="also remove the group's users and delete its policies")
    p.add_argument("-p", dest="pretend", action="store_true",
                   help="with -r: list what would be deleted, delete nothing")


def _del(iam, args):
    if args.pretend and not args.recursive:
        raise common.ToolkitError("-p (pretend) applies only together with -r")
    if args.recursive:
        yield from removal.clear(removal.group_dependents(iam, args.group), pretend=args.pretend)
    if not args.pretend:
        iam.delete_group(GroupName=args.group)


groupdel = command("iam-groupdel", "Deletes a group; with -r, its members and policies first.", _del_flags, _del)


def _mod_flags(p):
    group_arg(p)
    p.add_argument("-n", dest="new_name", metavar="NEWGROUPNAME", help="the group's new name")
    p.add_argument("-p", dest="new_path", metavar="NEWPATH", help="the group's new path")


def _mod(iam, args):
    if not (args.new_name or args.new_path):
        raise common.ToolkitError("give -n NEWGROUPNAME or -p NEWPATH (or both)")
    changes = {"NewGroupName": args.new_name, "NewPath": args.new_path}
    iam.update_group(GroupName=args.group, **{k: v for k, v in changes.items() if v})
    return ()


groupmod = command("iam-groupmod", "Renames a group or changes its path.", _mod_flags, _mod)


def _membership_flags(p):
    group_arg(p)
    user_arg(p)


def _adduser(iam, args):
    iam.add_user_to_group(GroupName=args.group, UserName=args.user)
    return ()


def _removeuser(iam, args):
    iam.remove_user_from_group(GroupName=args.group, UserName=args.user)
    return ()


groupadduser = command("iam-groupadduser", "Adds a user to a group.", _membership_flags, _adduser)
groupremoveuser = command("iam-groupremoveuser", "Removes a user from a group.", _membership_flags, _removeuser)


def _listbypath_flags(p):
    p.add_argument("-p", dest="prefix", metavar="PATHPREFIX", default="/", help="the path prefix, defaults to /")


def _listbypath(iam, args):
    for group in pages(iam, "list_groups", "Groups", PathPrefix=args.prefix):
        yield group["Arn"]


grouplistbypath = command("iam-grouplistbypath", "Lists the groups whose path starts with the prefix.",
                          _listbypath_flags, _listbypath)


def _listusers_flags(p):
    group_arg(p)


def _listusers(iam, args):
    paginator = iam.get_paginator("get_group").paginate(GroupName=args.group)
    for number, page in enumerate(paginator):
        if number == 0:
            yield page["Group"]["Arn"]
        yield from (user["Arn"] for user in page["Users"])
    yield TRUNCATED


grouplistusers = command("iam-grouplistusers", "Lists the users in a group.", _listusers_flags, _listusers)
