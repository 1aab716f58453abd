"""What a user signs in or signs with: access keys (and when each was last used), login profiles, MFA
devices, SSH public keys, signing and server certificates, service-specific credentials."""
