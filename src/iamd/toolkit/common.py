"""What every ``iam-*`` command shares: the toolkit's common options, the IAM client, output and errors.

A command is ``command(prog, description, configure, action)``: ``configure`` adds its own flags to the
parser, ``action(iam, args)`` yields the lines to print, one value a line as the toolkit printed them.
A service error prints ``<prog>: Service error: <message>`` on stderr and exits 1; bad usage exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from iamd.toolkit import credentials

Action = Callable[[object, argparse.Namespace], Iterable[str] | None]

# IAM is global and signs in us-east-1; a profile or AWS_DEFAULT_REGION may still say otherwise.
_DEFAULT_REGION = "us-east-1"


class ToolkitError(Exception):
    """A problem found before or around the call (a file that cannot be read, a missing option)."""


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--aws-credential-file", metavar="CREDENTIALFILE",
                   help="path to the file containing your AWS credentials")
    p.add_argument("--url", metavar="SERVICEENDPOINT", help="endpoint URL to be used when making the service call")
    p.add_argument("-d", "--debug", action="store_true", help="enable debug logging")
    return p


def client(args: argparse.Namespace):
    """boto3's IAM client: the toolkit's credential file first, then boto3's usual chain."""
    key: dict[str, str] = {}
    credential_file = args.aws_credential_file or os.environ.get("AWS_CREDENTIAL_FILE")
    if credential_file:
        key = credentials.read(credential_file)
    session = boto3.session.Session()
    if args.debug:
        boto3.set_stream_logger("botocore")
    # --url, then AWS_ENDPOINT_URL(_IAM) (boto3 reads those itself), then AWS_IAM_URL, the IAM endpoint
    # variable of the Java command-line tools' era (Eucalyptus kept it for its clones of them).
    endpoint = args.url or (None if _boto_endpoint_set() else os.environ.get("AWS_IAM_URL")) or None
    return session.client("iam", region_name=session.region_name or _DEFAULT_REGION, endpoint_url=endpoint, **key)


def _boto_endpoint_set() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL_IAM") or os.environ.get("AWS_ENDPOINT_URL"))


def command(prog: str, description: str, configure: Callable[[argparse.ArgumentParser], None],
            action: Action) -> Callable[..., int]:
    """A console-script entry point: [project.scripts]' wrapper exits with what it returns."""
    def main(argv: list[str] | None = None) -> int:
        p = parser(prog, description)
        configure(p)
        args = p.parse_args(argv)
        try:
            for line in action(client(args), args) or ():
                print(line, flush=True)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            print(f"{prog}: Service error: {error.get('Message') or error.get('Code')}", file=sys.stderr)
            return 1
        except (ToolkitError, credentials.CredentialFileError) as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        except BotoCoreError as exc:  # no credentials, endpoint unreachable: not the service's answer
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # `| head` stopped reading: not an error; keep Python from complaining at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return main


def pages(iam, operation: str, key: str, **params) -> Iterable[dict]:
    """Every item of a paginated listing; the toolkit then prints ``IsTruncated: false``."""
    for page in iam.get_paginator(operation).paginate(**params):
        yield from page[key]


TRUNCATED = "IsTruncated: false"


def user_arg(p: argparse.ArgumentParser, required: bool = True, help: str = "the name of the user") -> None:
    p.add_argument("-u", dest="user", metavar="USERNAME", required=required, help=help)


def group_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-g", dest="group", metavar="GROUPNAME", required=True, help="the name of the group")


def user_params(args: argparse.Namespace) -> dict:
    """UserName when -u was given; without it IAM answers for the caller, as the toolkit did."""
    return {"UserName": args.user} if args.user else {}
