"""The retired IAM command-line toolkit's ``iam-*`` commands, rebuilt on boto3 for iamd (docs/toolkit.md).

One module per group of commands; ``common`` holds what they share: the toolkit's options, the client,
and its output and error style. The toolkit talked to IAM only through the API, and so do these.
"""
