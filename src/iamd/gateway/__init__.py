"""The gateway (issue #13): one endpoint that authenticates, authorizes and forwards requests to other AWS services."""
