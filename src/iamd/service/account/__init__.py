"""The account as a whole: accounts, their settings and aliases, the password policy, Organizations'
root-access features, and IAM's quotas."""
