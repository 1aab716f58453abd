"""The authorization API's operations, for services that are not AWS-compatible (docs/authorization-api.md).

    principals.py  who a verified key belongs to (never its secret), and principals named by ARN
    decisions.py   per-pair decisions through service/decide.py, worded as the simulator words them
    permission.py  the API caller's own permission (iamd:Authorize ...), checked first by every operation
    registry.py    service definitions of the operator's own services (orders:GetOrder ...)

The wire (JSON, SigV4 of the caller and of the verified material) is web/authorization_api.py's.
"""

from iamd.security import ids

# iamd's own actions: what a service's key must be granted, nothing more (denied by default).
SERVICE_PREFIX = "iamd"
VERIFY = "iamd:VerifySignature"
AUTHORIZE = "iamd:Authorize"
REGISTER = "iamd:RegisterService"
GET = "iamd:GetService"
LIST = "iamd:ListServices"
DEREGISTER = "iamd:DeregisterService"
# A request id as every iamd answer carries (the web layer reaches security/ through service/): the
# function itself, not a wrapper (a frame a call).
new_request_id = ids.request_id
