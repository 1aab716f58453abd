"""The audit trail: one CloudTrail record per call, and what reads it.

    record.py     a call (who, what, the decision, the outcome) → CloudTrail's record (eventVersion 1.09)
    redact.py     what a record never holds: secret keys, passwords, session tokens, SAML/OIDC tokens
    writer.py     the record into the store, in the request's transaction (a failed call: its own)
    lookup.py     CloudTrail's LookupEvents over the stored records
    generate.py   a least-privilege policy from a principal's calls, and its unused statements
    analyzer.py   Access Analyzer's policy generation jobs on top of generate.py
    retention.py  old records pruned in small batches
    walk.py       the accounts in the trail, for the walks over all of it (export, prune)
    operations.py the CloudTrail and Access Analyzer operations, authorized like any other
"""
