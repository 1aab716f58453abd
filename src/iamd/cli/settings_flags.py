"""The flags every command that opens the store shares; each mirrors an IAMD_* variable."""

from __future__ import annotations

import argparse
from dataclasses import fields

from iamd.config import Settings, env_name, from_environment

# The console root password is read from the environment only: a command line shows in `ps` to every
# user of the machine. (The key flags exist because the configuration contract names them; their help
# says to prefer the environment.)
ENVIRONMENT_ONLY = frozenset({"root_password"})
_SECRET_FLAGS = frozenset({"root_secret_access_key", "master_key", "upstream_credentials"})


def add_settings_flags(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None) -> None:
    for field in fields(Settings):
        if field.name in ENVIRONMENT_ONLY or (names is not None and field.name not in names):
            continue
        flag = "--" + field.name.replace("_", "-")
        if field.type in (bool, "bool"):
            parser.add_argument(flag, dest=field.name, default=None, action="store_true",
                                help=f"(env {env_name(field.name)}=1)")
            continue
        parser.add_argument(flag, dest=field.name, default=None,
                            type=int if field.type in (int, "int") else str,
                            help=f"(env {env_name(field.name)}; default {field.default!r})"
                            + ("; prefer the environment: a flag shows in ps" if field.name in _SECRET_FLAGS else ""))


def settings_from(args: argparse.Namespace) -> Settings:
    return from_environment({field.name: getattr(args, field.name, None) for field in fields(Settings)})
