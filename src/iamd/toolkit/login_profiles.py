"""Console passwords: iam-useraddloginprofile, iam-usermodloginprofile, iam-userdelloginprofile.

Each prints nothing when it succeeds; a password the account's policy refuses comes back as the
service's error, as it did from the toolkit.
"""

from __future__ import annotations

from iamd.toolkit.common import command, user_arg


def _password_flags(p):
    user_arg(p)
    p.add_argument("-p", dest="password", metavar="PASSWORD", required=True, help="the user's console password")


def _add(iam, args):
    iam.create_login_profile(UserName=args.user, Password=args.password)
    return ()


def _mod(iam, args):
    iam.update_login_profile(UserName=args.user, Password=args.password)
    return ()


def _delete(iam, args):
    iam.delete_login_profile(UserName=args.user)
    return ()


useraddloginprofile = command("iam-useraddloginprofile", "Gives a user a console password.", _password_flags, _add)
usermodloginprofile = command("iam-usermodloginprofile", "Changes a user's console password.", _password_flags, _mod)
userdelloginprofile = command("iam-userdelloginprofile", "Takes away a user's console password.", user_arg, _delete)
