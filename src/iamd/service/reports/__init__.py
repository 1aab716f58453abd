"""Reports over what exists and what was used: the credential report, service last accessed, the
service access report, and the policy simulator."""
