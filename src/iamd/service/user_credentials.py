"""A user's credentials besides passwords, access keys and MFA devices: SSH public keys
(service/ssh_keys.py), signing certificates (service/signing_certificates.py) and service-specific
credentials (service/service_credentials.py)."""

from iamd.service import service_credentials, signing_certificates, ssh_keys

OPERATIONS = ssh_keys.OPERATIONS + signing_certificates.OPERATIONS + service_credentials.OPERATIONS
