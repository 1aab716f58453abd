"""The MalformedPolicyDocument table of aws-recorded-errors.md (recorded through CreatePolicy, so kind
"managed"), row by row; then what inline identity policies may do that managed ones may not.

Each row: (row id, kind, document text, exact message AWS gave). Documents are changes to the base
document AWS accepts; ``ACCEPTED`` lists documents AWS took without error.
"""

BASE_STATEMENT = '{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}'
BASE = '{"Version":"2012-10-17","Statement":' + BASE_STATEMENT + "}"


def doc(statement: str, version: str | None = "2012-10-17", extra: str = "") -> str:
    head = f'"Version":"{version}",' if version else ""
    return "{" + head + extra + '"Statement":' + statement + "}"


def st(action='"s3:ListBucket"', resource='"arn:aws:s3:::example_bucket"', effect='"Allow"', more="",
       action_key="Action", resource_key="Resource") -> str:
    parts = []
    if effect is not None:
        parts.append(f'"Effect":{effect}')
    if action is not None:
        parts.append(f'"{action_key}":{action}')
    if resource is not None:
        parts.append(f'"{resource_key}":{resource}')
    if more:
        parts.append(more)
    return "{" + ",".join(parts) + "}"


SYNTAX = "Syntax errors in policy."
VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
VENDOR_PREFIX = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
IAM_PATH = ('IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, '
            "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, "
            "report/, access-report/.")
BAD_DATE = '"Condition":{"DateGreaterThan":{"a":"sdfdsf"}}'
DUP_SIDS = "[" + st(more='"Sid":"sdf"') + ',{"Sid":"sdf","Effect":"Allow"}]'

ROWS = [
    (1, "managed", "this is not json", SYNTAX),
    (2, "managed", doc(BASE_STATEMENT, version=None), VERSION),
    (3, "managed", doc(BASE_STATEMENT, version="2008-10-17"), VERSION),
    (4, "managed", doc(BASE_STATEMENT, version="2013-10-17"), SYNTAX),
    (5, "managed", '{"Version":"2012-10-17"}', SYNTAX),
    (6, "managed", doc('["afd"]'), SYNTAX),
    (7, "managed", doc(BASE_STATEMENT, extra='"Extra field":"value",'), SYNTAX),
    (8, "managed", doc(st(more='"Extra field":"value"')), SYNTAX),
    (9, "managed", doc(BASE_STATEMENT, extra='"Id":["a"],'), SYNTAX),
    (10, "managed", doc(BASE_STATEMENT, extra='"Id":{},'), SYNTAX),
    (11, "managed", doc(st(effect='"invalid"')), SYNTAX),
    (12, "managed", doc(st(action='"invalid"')), VENDOR_PREFIX),
    (13, "managed", doc(st(action='""', action_key="NotAction")), VENDOR_PREFIX),
    (14, "managed", doc(st(action='"a a:ListBucket"')), "Vendor a a is not valid"),
    (15, "managed", doc(st(action='"s3:List:Bucket"')), ONE_COLON),
    (16, "managed", doc("[" + BASE_STATEMENT + "," + st(action='"s:3s:ListBucket"') + "]"), ONE_COLON),
    (17, "managed", doc(st(resource='"invalid resource"')), 'Resource invalid resource must be in ARN format or "*".'),
    (18, "managed",
     doc("[" + st(resource='""', more='"Condition":{"StringEquals":{"aws:username":"a"}}') + "," + st(resource='""') + "]"),
     'Resource  must be in ARN format or "*".'),
    (19, "managed", doc(st(action='"s:3:ListBucket"', resource='"sdfsadf"')), 'Resource sdfsadf must be in ARN format or "*".'),
    (20, "managed", doc(st(resource='["adf"]')), 'Resource adf must be in ARN format or "*".'),
    (21, "managed", doc(st(resource='""')), 'Resource  must be in ARN format or "*".'),
    (22, "managed", doc(st(action='"s3s:ListBucket"', action_key="NotAction", resource='"a:bsdfdsafsad"')),
     'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'),
    (23, "managed", doc(st(action='"s3s:ListBucket"', action_key="NotAction", resource='"a:b:cadfsdf"')),
     'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'),
    (24, "managed", doc(st(action='"s3s:ListBucket"', action_key="NotAction", resource='"a:b:c:d:e:f:g:h"')),
     'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'),
    (25, "managed", doc(st(resource='"aws:s3:::example_bucket"')),
     'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'),
    (26, "managed", doc(st(resource='["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]')),
     'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".'),
    (27, "managed", doc("[]"), SYNTAX),
    (28, "managed", doc(st(resource=None)), NO_RESOURCES),
    (29, "managed", doc(st(resource="[]")), NO_RESOURCES),
    (30, "managed", doc(st(action='"invalid"', resource=None)), NO_RESOURCES),
    (31, "managed", doc(st(action=None)), NO_ACTIONS),
    (32, "managed", doc(st(effect=None)), SYNTAX),
    (33, "managed", doc('{"Effect":"Allow"}'), NO_ACTIONS),
    (34, "managed", doc(st(action="[]")), NO_ACTIONS),
    (35, "managed", doc('[{"Effect":"Deny"},' + BASE_STATEMENT + "]"), NO_ACTIONS),
    (36, "managed", doc(st(resource='"arn:aws:iam:::example_bucket"')), IAM_PATH),
    (37, "managed", doc(st(resource='"arn:aws:s3::example_bucket"')), LEGACY),
    (38, "managed", doc(st(action=None, resource='"arn:aws:s3::example_bucket"')), LEGACY),
    (39, "managed", doc(st(resource='"arn:aws"')), "Resource vendor must be fully qualified and cannot contain regexes."),
    (40, "managed", doc(st(resource='{"a":"arn:aws:s3:::example_bucket"}')), SYNTAX),
    (41, "managed", doc(st(resource='["adfdf",{}]')), SYNTAX),
    (42, "managed", doc(st(action='"s3:ListBucket"', action_key="NotAction", more='"NotResource":[]')), SYNTAX),
    (43, "managed", doc(st(action="[[]]")), SYNTAX),
    (44, "managed", doc(st(action="[]", more='"NotAction":"s3s:ListBucket"')), SYNTAX),
    (45, "managed", doc(st(action="{}")), SYNTAX),
    (46, "managed", doc(st(more='"Condition":[]')), SYNTAX),
    (47, "managed", doc(st(more='"Condition":"a"')), SYNTAX),
    (48, "managed", doc(st(more='"Condition":{"a":"b"}')), SYNTAX),
    (49, "managed", doc(st(more='"Condition":{"DateGreaterThan":"b"}')), SYNTAX),
    (50, "managed", doc(st(more='"Condition":{"DateGreaterThan":[]}')), SYNTAX),
    (51, "managed", doc(st(more='"Condition":{"DateGreaterThan":{"a":{}}}')), SYNTAX),
    (52, "managed", doc(st(action=None, more='"Condition":{"DateGreaterThan":{"a":{}}}')), SYNTAX),
    (53, "managed", doc(st(more='"Condition":{"x":{"a":"1"}}')), SYNTAX),
    (54, "managed", doc(st(more='"Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}')), SYNTAX),
    (55, "managed", doc(st(more='"Condition":[{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}]')), SYNTAX),
    (56, "managed", doc(st(resource='"arn:aws:iam:us-east-1::example_bucket"')),
     "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."),
    (57, "managed", doc(st(resource='"arn:aws:s3:us-east-1::example_bucket"')),
     "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."),
    (58, "managed", doc(st(more='"Sid":{}')), SYNTAX),
    (59, "managed", doc(st(more='"Sid":[]')), SYNTAX),
    (60, "managed", doc(DUP_SIDS), "Statement IDs (SID) in a single policy must be unique."),
    (61, "managed", doc(DUP_SIDS, version=None), VERSION),
    (62, "managed", doc(st(action='"iam:dsf"', more='"NotAction":"s3:ListBucket"')), SYNTAX),
    (63, "managed", doc(st(more='"NotResource":"*"')), SYNTAX),
    (64, "managed", doc(st(effect='"denY"')), LEGACY),
    (65, "managed", doc(st(more=BAD_DATE)), LEGACY),
    (66, "managed", doc(st(more=BAD_DATE), version=None), VERSION),
    (67, "managed", doc(st(effect='"denY"'), version=None), VERSION),
    (68, "managed", doc(st(action=None, more=BAD_DATE)), LEGACY),
    (69, "managed", doc(st(action='"s3:ListBucket"', action_key="NotAction", resource='"arn:aws::::example_bucket"')), LEGACY),
    (70, "managed", doc(st(effect='"allow"', action=None, resource='"arn:aws:s3:us-east-1::example_bucket"')), LEGACY),
    (71, "managed", doc("[" + st(effect='"aLLow"', more='"Sid":"sdf"') + ',{"Sid":"sdf","Effect":"Allow"}]'), LEGACY),
    (72, "managed", doc(st(resource='"arn:aws:s3::example_bucket"', resource_key="NotResource")), LEGACY),
    (73, "managed", doc(st(more='"Condition":{"DateLessThanEquals":{"a":"234-13"}}')), LEGACY),
    (74, "managed", doc(st(more='"Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}')), LEGACY),
    (75, "managed", doc(st(more='"Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}')), LEGACY),
    (76, "managed", doc(st(more='"Condition":{"DateLessThan":{"a":"9223372036854775808"}}')), LEGACY),
    (77, "managed", doc(st(resource='"arn:error:s3:::example_bucket"', more=BAD_DATE)), LEGACY),
    (78, "managed", doc(st(resource='"arn:aws::fdsasf"')), LEGACY),
    # Trust policies (CreateRole / UpdateAssumeRolePolicy)
    ("trust-1", "trust",
     '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
     '"Action":"sts:AssumeRole"},]}', "This policy contains invalid Json"),
    ("trust-2", "trust", "not valid json", "This policy contains invalid Json"),
    ("trust-3", "trust",
     '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},'
     '"Action":"sts:InvalidAction"}}', "AssumeRole policy may only specify STS AssumeRole actions."),
    ("trust-4", "trust",
     '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},'
     '"Action":"sts:AssumeRole","Resource":"arn:aws:s3:::example_bucket"}}', "Has prohibited field Resource"),
]

ACCEPTED = [
    ("action *", doc(st(action='"*"'))),
    ("action spaces after colon", doc(st(action='"iam: asdf safdsf af "'))),
    ("vendor with dash", doc(st(action='"s3-s:ListBucket"'))),
    ("vendor with dot", doc(st(action='"s3.s:ListBucket"'))),
    ("long vendor", doc(st(action='"aaaaaadsfdsafsadfsadfaaaaa:ListBucket"'))),
    ("unknown vendor fsx", doc(st(action='"fsx:ListBucket"'))),
    ("service-prefix", doc(st(action='"service-prefix:action-name"'))),
    ("3-field arn", doc(st(resource='"arn:aws:fdsasf"'))),
    ("unknown service", doc(st(resource='"arn:aws:s33:::example_bucket"'))),
    ("unknown service with region", doc(st(resource='"arn:aws:invalid-service:us-east-1::example_bucket"'))),
    ("ec2 region", doc(st(resource='"arn:aws:ec2:us-east-1::example_bucket"'))),
    ("cloudwatch region", doc(st(resource='"arn:aws:cloudwatch:us-east-1::example_bucket"'))),
    ("s3 access point", doc(st(resource='"arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point"'))),
    ("iam user", doc(st(resource='"arn:aws:iam:::user/example_bucket"'))),
    ("arn and *", doc(st(resource='["arn:aws:s3:::example_bucket","*"]'))),
    ("variable", doc(st(resource='"arn:aws:s3:::example_bucket/${aws:username}"'))),
    ("empty condition", doc(st(more='"Condition":{}'))),
    ("empty operator body", doc(st(more='"Condition":{"DateGreaterThan":{}}'))),
    ("empty value list", doc(st(more='"Condition":{"DateGreaterThan":{"a":[]}}'))),
    ("unknown operator empty body", doc(st(more='"Condition":{"a":{}}'))),
    ("two unknown operators empty", doc(st(more='"Condition":{"x":{},"y":{}}'))),
    ("date 01T", doc(st(more='"Condition":{"DateGreaterThan":{"a":"01T"}}'))),
    ("date two-digit offset", doc(st(more='"Condition":{"DateGreaterThan":{"a":"2016-12-13t2:00:00.593194+23"}}'))),
    ("date negative epoch", doc(st(more='"Condition":{"DateGreaterThan":{"a":"-292275054"}}'))),
    ("date Z", doc(st(more='"Condition":{"DateGreaterThan":{"a":"2019-07-01T13:20:15Z"}}'))),
    ("ForAnyValue IfExists", doc(st(more='"Condition":{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}'))),
    ("statement object", BASE),
    ("statement list", doc("[" + BASE_STATEMENT + "]")),
    ("Id", doc(BASE_STATEMENT, extra='"Id":"sdfsdfsdf",')),
    ("NotAction with NotResource", doc(st(action_key="NotAction", resource_key="NotResource"))),
    ("empty Sids", doc("[" + st(more='"Sid":""') + "," + st(more='"Sid":""') + "]")),
    ("no Sid", doc("[" + BASE_STATEMENT + "," + BASE_STATEMENT + "]")),
]

# Inline identity policies (PutUserPolicy, PutGroupPolicy, PutRolePolicy), session policies and simulator
# input may omit Version or say 2008-10-17 (IAM User Guide, "IAM JSON policy elements: Version": 2008-10-17
# is the earlier language, in which policy variables are plain text). Only managed policies are refused,
# so the checks behind the version message still speak for inline documents (rows 61, 66, 67).
INLINE_ACCEPTED = [
    ("no Version", '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
    ("2008-10-17", doc(BASE_STATEMENT, version="2008-10-17")),
    ("2008-10-17 with a variable", doc(st(resource='"arn:aws:s3:::b/${aws:username}"'), version="2008-10-17")),
]
INLINE_ROWS = [
    ("inline-61", "identity", doc(DUP_SIDS, version=None), "Statement IDs (SID) in a single policy must be unique."),
    ("inline-66", "identity", doc(st(more=BAD_DATE), version=None), LEGACY),
    ("inline-67", "identity", doc(st(effect='"denY"'), version="2008-10-17"), LEGACY),
    ("inline-4", "identity", doc(BASE_STATEMENT, version="2013-10-17"), SYNTAX),
    ("inline-no-statement", "identity", "{}", SYNTAX),
]
