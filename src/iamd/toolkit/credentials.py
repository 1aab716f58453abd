"""The toolkit's credential file: ``AWSAccessKeyId=...`` and ``AWSSecretKey=...``, one a line.

The IAM CLI (and the other Java command-line tools of its time) read it from ``--aws-credential-file`` or
``AWS_CREDENTIAL_FILE``; old scripts still export that variable, so we honour it before boto3's own chain.
"""

from __future__ import annotations

from pathlib import Path

_FIELDS = {"AWSAccessKeyId": "aws_access_key_id", "AWSSecretKey": "aws_secret_access_key"}


class CredentialFileError(Exception):
    pass


def read(path: str) -> dict[str, str]:
    """The file's key as boto3 client arguments; blank lines and # comments are skipped."""
    try:
        text = Path(path).expanduser().read_text()
    except OSError as exc:
        raise CredentialFileError(f"cannot read the credential file {path}: {exc.strerror}") from exc
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if name in _FIELDS:
            found[_FIELDS[name]] = value
    missing = [name for name, field in _FIELDS.items() if field not in found]
    if missing:
        raise CredentialFileError(f"the credential file {path} has no {' or '.join(missing)}")
    return found
