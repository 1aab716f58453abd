"""Amazon API Gateway's management APIs (apigateway, apigatewayv2): IAM actions are the HTTP methods.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon API Gateway
Management" (prefix apigateway): every operation is authorized as ``apigateway:<HTTP method>`` on the
ARN of the path it calls, ``arn:${Partition}:apigateway:${Region}::<path>`` (CreateApiKey is
apigateway:POST on ``/apikeys``, GetRestApi apigateway:GET on ``/restapis/<id>``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from iamd.gateway.authz import AuthorizationItem, Target, tag_context
from iamd.gateway.routes import service_operations

PREFIX = "apigateway"
_LABEL = re.compile(r"\{([^}+]+)\+?\}")


def items(t: Target) -> list[AuthorizationItem]:
    identified = t.request.identified
    http = service_operations(identified.service).operation(identified.operation).http
    template = str(http.get("requestUri", "/")).split("?", 1)[0]
    labels = identified.path_params

    def fill(m: re.Match[str]) -> str:
        value = labels.get(m.group(1)) or t.params.get(m.group(1))
        return quote(str(value), safe="") if value is not None else "*"

    path = _LABEL.sub(fill, template)
    method = str(http.get("method", "GET")).upper()
    resource = f"arn:{t.partition}:apigateway:{t.region}::{path}"
    return [AuthorizationItem(f"{PREFIX}:{method}", resource, tag_context(t.params), None,
                              unresolved="*" in path)]
