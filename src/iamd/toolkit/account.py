"""The account: iam-accountaliascreate, iam-accountaliasdelete, iam-accountaliaslist, iam-accountgetsummary.

The reference we could read gives no output format for the two listings: ``iam-accountaliaslist`` prints
each alias on its own line, and ``iam-accountgetsummary`` prints each entry as ``Name: value`` (the style
of the toolkit's ``IsTruncated: false``), in the order IAM returns them.
"""

from __future__ import annotations

from iamd.toolkit.common import command


def _alias_flags(p):
    p.add_argument("-a", dest="alias", metavar="ACCOUNTALIAS", required=True, help="the account alias")


def _create(iam, args):
    iam.create_account_alias(AccountAlias=args.alias)
    return ()


def _delete(iam, args):
    iam.delete_account_alias(AccountAlias=args.alias)
    return ()


def _no_flags(p):
    pass


def _list(iam, args):
    for page in iam.get_paginator("list_account_aliases").paginate():
        yield from page["AccountAliases"]


def _summary(iam, args):
    for name, value in iam.get_account_summary()["SummaryMap"].items():
        yield f"{name}: {value}"


accountaliascreate = command("iam-accountaliascreate", "Creates the account's alias.", _alias_flags, _create)
accountaliasdelete = command("iam-accountaliasdelete", "Deletes the account's alias.", _alias_flags, _delete)
accountaliaslist = command("iam-accountaliaslist", "Lists the account's alias.", _no_flags, _list)
accountgetsummary = command("iam-accountgetsummary", "Prints the account's entity usage and quotas.", _no_flags,
                            _summary)
