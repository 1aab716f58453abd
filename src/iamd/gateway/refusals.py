"""A refusal in the forwarded service's own shape, so that its SDK reads the code and the message.

- rest-xml (Amazon S3): ``<Error><Code>AccessDenied</Code><Message>..</Message><RequestId>..``, 403
  ("Error responses", Amazon S3 API Reference); S3's own codes for signature problems
  (InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, ExpiredToken, InvalidToken).
- json (DynamoDB, KMS, ...): ``{"__type": "...#AccessDeniedException", "message": ..}``, 400, and the
  ``x-amzn-ErrorType`` header; SQS (awsQueryCompatible) keeps its Query codes in ``x-amzn-query-error``.
- rest-json (Lambda, ...): the ``x-amzn-ErrorType`` header and ``{"message": ..}``.
- query (SNS, SQS's old protocol, ...): ``<ErrorResponse><Error><Type>Sender</Type><Code>..``; SNS
  calls a refusal AuthorizationError. ec2: ``<Response><Errors><Error>`` with UnauthorizedOperation.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from iamd.errors import AwsError

S3_MESSAGES = {
    "InvalidAccessKeyId": "The AWS Access Key Id you provided does not exist in our records.",
    "SignatureDoesNotMatch": ("The request signature we calculated does not match the signature you provided. "
                              "Check your key and signing method."),
    "ExpiredToken": "The provided token has expired.",
    "InvalidToken": "The provided token is malformed or otherwise invalid.",
    "RequestTimeTooSkewed": "The difference between the request time and the current time is too large.",
}
# iamd's (Query API) codes → Amazon S3's.
_S3_CODES = {"InvalidClientTokenId": "InvalidAccessKeyId", "MissingAuthenticationToken": "AccessDenied",
             "IncompleteSignature": "AuthorizationHeaderMalformed"}
_S3_STATUS = {"InvalidAccessKeyId": 403, "ExpiredToken": 400, "InvalidToken": 400,
              "AuthorizationHeaderMalformed": 400, "AccessDenied": 403, "SignatureDoesNotMatch": 403}
# iamd's codes → the JSON protocols' (AWS's JSON services answer signature problems with 400).
_JSON_CODES = {"AccessDenied": "AccessDeniedException", "InvalidClientTokenId": "UnrecognizedClientException",
               "SignatureDoesNotMatch": "InvalidSignatureException",
               "RequestTimeTooSkewed": "InvalidSignatureException",
               "MissingAuthenticationToken": "MissingAuthenticationTokenException",
               "IncompleteSignature": "IncompleteSignatureException", "ExpiredToken": "ExpiredTokenException",
               "UnrecognizedRequest": "UnknownOperationException", "ServiceUnavailable": "ServiceUnavailableException",
               "InvalidRequest": "ValidationException", "EntityTooLarge": "RequestEntityTooLargeException",
               "RequestTimeout": "RequestTimeoutException"}
_JSON_STATUS = {"AccessDeniedException": 400, "UnrecognizedClientException": 400, "InvalidSignatureException": 400,
                "MissingAuthenticationTokenException": 403, "IncompleteSignatureException": 400,
                "ExpiredTokenException": 400, "UnknownOperationException": 400, "ServiceUnavailableException": 503}
_REST_JSON_STATUS = {"AccessDeniedException": 403, "UnrecognizedClientException": 403,
                     "InvalidSignatureException": 403, "ExpiredTokenException": 403}
# The namespaces JSON services put before their error codes (botocore reads what follows '#').
_JSON_NAMESPACE = {"dynamodb": "com.amazon.coral.service", "sqs": "com.amazonaws.sqs"}
_QUERY_CODES = {"RequestTimeTooSkewed": "SignatureDoesNotMatch", "UnrecognizedRequest": "InvalidAction"}
_SNS_CODES = {"AccessDenied": "AuthorizationError"}
_EC2_CODES = {"AccessDenied": "UnauthorizedOperation", "InvalidClientTokenId": "AuthFailure",
              "SignatureDoesNotMatch": "AuthFailure", "UnrecognizedRequest": "InvalidAction"}


def s3_error(error: AwsError) -> tuple[str, str, int]:
    code = _S3_CODES.get(error.code, error.code)
    message = error.message or ""
    if code == "SignatureDoesNotMatch" and message.startswith("Signature expired"):
        code = "RequestTimeTooSkewed"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestTimeTooSkewed", "ExpiredToken"):
        message = S3_MESSAGES[code]
    return code, message, _S3_STATUS.get(code, error.status)


def render(protocol: str, service: str, error: AwsError, request_id: str, *, head: bool = False
           ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of the error as the service would answer it."""
    rid = request_id.encode()
    if protocol == "rest-xml":
        code, message, status = s3_error(error)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
                f"</Message><RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>").encode()
        headers = [(b"x-amz-request-id", rid), (b"x-amz-id-2", rid), (b"content-type", b"application/xml")]
        return status, headers, b"" if head else body
    if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        code = _JSON_CODES.get(error.code, error.code)
        headers = [(b"x-amzn-requestid", rid), (b"x-amzn-errortype", code.encode())]
        if service == "sqs":  # awsQueryCompatible: the Query code in a header of its own
            query_code = _QUERY_CODES.get(error.code, error.code)
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append((b"x-amzn-query-error", f"{query_code};{fault}".encode()))
        if protocol == "rest-json":
            status = _REST_JSON_STATUS.get(code, error.status)
            payload = {"message": error.message or "", "Message": error.message or ""}
            headers.append((b"content-type", b"application/json"))
        else:
            status = _JSON_STATUS.get(code, error.status)
            if service == "sqs" and code == "AccessDeniedException":
                status = 403
            namespace = _JSON_NAMESPACE.get(service)
            payload = {"__type": f"{namespace}#{code}" if namespace else code, "message": error.message or ""}
            headers.append((b"content-type", b"application/x-amz-json-1.0"))
        return status, headers, json.dumps(payload).encode()
    message = escape(error.message or "")
    if protocol == "ec2":
        code = _EC2_CODES.get(error.code, error.code)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
        return error.status, [(b"content-type", b"text/xml;charset=UTF-8")], body
    code = (_SNS_CODES if service == "sns" else {}).get(error.code) or _QUERY_CODES.get(error.code, error.code)
    fault = "Sender" if error.sender_fault else "Receiver"
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
    return error.status, [(b"x-amzn-requestid", rid), (b"content-type", b"text/xml")], body


def denial(principal_arn: str, action: str, resource: str, reason: str, service: str) -> str:
    """AWS's wording ("Troubleshoot access denied error messages", IAM User Guide); Amazon S3 quotes the
    resource ("Access denied message examples", Amazon S3 User Guide)."""
    shown = f'"{resource}"' if service == "s3" else resource
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {shown} {reason}"
