"""The flags every command that opens the store shares; each mirrors an IAMD_* variable."""

from __future__ import annotations

import argparse
from dataclasses import fields

from iamd.config import Settings, env_name, from_environment


def add_settings_flags(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None) -> None:
    for field in fields(Settings):
        if names is not None and field.name not in names:
            continue
        parser.add_argument("--" + field.name.replace("_", "-"), dest=field.name, default=None,
                            type=int if field.type in (int, "int") else str,
                            help=f"(env {env_name(field.name)}; default {field.default!r})")


def settings_from(args: argparse.Namespace) -> Settings:
    return from_environment({field.name: getattr(args, field.name, None) for field in fields(Settings)})
