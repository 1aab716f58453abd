"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus.

A service-linked role is an ordinary role row marked with its service principal (``service_linked``),
at path ``/aws-service-role/<service-principal>/``, trusting only that service, with the service's
AWS managed policy under ``/aws-service-role/`` attached. Its name is AWS's for the service
(``_SERVICES``, from AWS's documentation); for other services it is ``AWSServiceRoleFor`` followed by
the principal's words before ``.amazonaws.com``, each capitalised (``foo-bar.amazonaws.com`` →
``AWSServiceRoleForFooBar``). A CustomSuffix is appended as ``_<suffix>``, for the services that
allow one.

Deletion happens at once: DeleteServiceLinkedRole removes the role and records a task that
GetServiceLinkedRoleDeletionStatus reports as SUCCEEDED.
"""

from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import Connection, delete, insert, select

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.reference import managed_policies as aws_catalogue
from iamd.security import ids
from iamd.service import roles as role_area
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.store.schema import deletion_tasks, inline_policies, instance_profile_roles, policy_attachments, roles

# Service principal → (role name, AWS managed policy under /aws-service-role/), as AWS names them.
_SERVICES: dict[str, tuple[str, str]] = {
    "autoscaling.amazonaws.com": ("AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy"),
    "ecs.amazonaws.com": ("AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"),
    "elasticloadbalancing.amazonaws.com": ("AWSServiceRoleForElasticLoadBalancing",
                                           "AWSElasticLoadBalancingServiceRolePolicy"),
    "rds.amazonaws.com": ("AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy"),
    "batch.amazonaws.com": ("AWSServiceRoleForBatch", "BatchServiceRolePolicy"),
    "eks.amazonaws.com": ("AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy"),
    "eks-nodegroup.amazonaws.com": ("AWSServiceRoleForAmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup"),
    "eks-fargate.amazonaws.com": ("AWSServiceRoleForAmazonEKSForFargate", "AmazonEKSForFargateServiceRolePolicy"),
    "ssm.amazonaws.com": ("AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy"),
    "elasticache.amazonaws.com": ("AWSServiceRoleForElastiCache", "ElastiCacheServiceRolePolicy"),
    "es.amazonaws.com": ("AWSServiceRoleForAmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy"),
    "opensearchservice.amazonaws.com": ("AWSServiceRoleForAmazonOpenSearchService",
                                        "AmazonOpenSearchServiceRolePolicy"),
    "spot.amazonaws.com": ("AWSServiceRoleForEC2Spot", "AWSEC2SpotServiceRolePolicy"),
    "spotfleet.amazonaws.com": ("AWSServiceRoleForEC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy"),
    "ec2fleet.amazonaws.com": ("AWSServiceRoleForEC2Fleet", "AWSEC2FleetServiceRolePolicy"),
    "organizations.amazonaws.com": ("AWSServiceRoleForOrganizations", "AWSOrganizationsServiceTrustPolicy"),
    "guardduty.amazonaws.com": ("AWSServiceRoleForAmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy"),
    "config.amazonaws.com": ("AWSServiceRoleForConfig", "AWSConfigServiceRolePolicy"),
    "cloudtrail.amazonaws.com": ("AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy"),
    "securityhub.amazonaws.com": ("AWSServiceRoleForSecurityHub", "AWSSecurityHubServiceRolePolicy"),
    "support.amazonaws.com": ("AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy"),
    "trustedadvisor.amazonaws.com": ("AWSServiceRoleForTrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy"),
    "dynamodb.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
                                                       "AWSApplicationAutoscalingDynamoDBTablePolicy"),
    "ecs.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_ECSService",
                                                  "AWSApplicationAutoscalingECSServicePolicy"),
    "ec2.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
                                                  "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy"),
    "rds.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_RDSCluster",
                                                  "AWSApplicationAutoscalingRDSClusterPolicy"),
    "lambda.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
                                                     "AWSApplicationAutoscalingLambdaConcurrencyPolicy"),
    "sagemaker.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                                                        "AWSApplicationAutoscalingSageMakerEndpointPolicy"),
    "elasticbeanstalk.amazonaws.com": ("AWSServiceRoleForElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy"),
    "redshift.amazonaws.com": ("AWSServiceRoleForRedshift", "AmazonRedshiftServiceLinkedRolePolicy"),
    "kafka.amazonaws.com": ("AWSServiceRoleForKafka", "KafkaServiceRolePolicy"),
    "elasticfilesystem.amazonaws.com": ("AWSServiceRoleForAmazonElasticFileSystem",
                                        "AmazonElasticFileSystemServiceRolePolicy"),
    "fsx.amazonaws.com": ("AWSServiceRoleForAmazonFSx", "AmazonFSxServiceRolePolicy"),
    "access-analyzer.amazonaws.com": ("AWSServiceRoleForAccessAnalyzer", "AccessAnalyzerServiceRolePolicy"),
    "sso.amazonaws.com": ("AWSServiceRoleForSSO", "AWSSSOServiceRolePolicy"),
    "ops.apigateway.amazonaws.com": ("AWSServiceRoleForAPIGateway", "APIGatewayServiceRolePolicy"),
    "backup.amazonaws.com": ("AWSServiceRoleForBackup", "AWSBackupServiceLinkedRolePolicyForBackup"),
    "dax.amazonaws.com": ("AWSServiceRoleForDAX", "DAXServiceRolePolicy"),
    "mq.amazonaws.com": ("AWSServiceRoleForAmazonMQ", "AmazonMQServiceRolePolicy"),
    "connect.amazonaws.com": ("AWSServiceRoleForAmazonConnect", "AmazonConnectServiceLinkedRolePolicy"),
    "lexv2.amazonaws.com": ("AWSServiceRoleForLexV2Bots", "AmazonLexV2BotPolicy"),
    "lex.amazonaws.com": ("AWSServiceRoleForLexBots", "LexBotPolicy"),
    "inspector2.amazonaws.com": ("AWSServiceRoleForAmazonInspector2", "AmazonInspector2ServiceRolePolicy"),
    "macie.amazonaws.com": ("AWSServiceRoleForAmazonMacie", "AmazonMacieServiceRolePolicy"),
    "events.amazonaws.com": ("AWSServiceRoleForCloudWatchEvents", "CloudWatchEventsServiceRolePolicy"),
    "transitgateway.amazonaws.com": ("AWSServiceRoleForVPCTransitGateway", "AWSVPCTransitGatewayServiceRolePolicy"),
    "globalaccelerator.amazonaws.com": ("AWSServiceRoleForGlobalAccelerator", "AWSGlobalAcceleratorSLRPolicy"),
    "servicequotas.amazonaws.com": ("AWSServiceRoleForServiceQuotas", "ServiceQuotasServiceRolePolicy"),
    "cloud9.amazonaws.com": ("AWSServiceRoleForAWSCloud9", "AWSCloud9ServiceRolePolicy"),
    "memorydb.amazonaws.com": ("AWSServiceRoleForMemoryDB", "MemoryDBServiceRolePolicy"),
    "compute-optimizer.amazonaws.com": ("AWSServiceRoleForComputeOptimizer", "ComputeOptimizerServiceRolePolicy"),
    "acm.amazonaws.com": ("AWSServiceRoleForCertificateManager", "CertificateManagerServiceRolePolicy"),
    "cloudhsm.amazonaws.com": ("AWSServiceRoleForCloudHSM", "CloudHSMServiceRolePolicy"),
    "storagegateway.amazonaws.com": ("AWSServiceRoleForStorageGateway", "AWSStorageGatewayServiceRolePolicy"),
    "ram.amazonaws.com": ("AWSServiceRoleForResourceAccessManager", "AWSResourceAccessManagerServiceRolePolicy"),
    "elasticmapreduce.amazonaws.com": ("AWSServiceRoleForEMRCleanup", "AmazonEMRCleanupPolicy"),
    "delivery.logs.amazonaws.com": ("AWSServiceRoleForLogDelivery", "AWSServiceRoleForLogDeliveryPolicy"),
    "imagebuilder.amazonaws.com": ("AWSServiceRoleForImageBuilder", "AWSServiceRoleForImageBuilder"),
    "replication.ecr.amazonaws.com": ("AWSServiceRoleForECRReplication", "ECRReplicationServiceRolePolicy"),
    "network-firewall.amazonaws.com": ("AWSServiceRoleForNetworkFirewall", "AWSNetworkFirewallServiceRolePolicy"),
    "route53resolver.amazonaws.com": ("AWSServiceRoleForRoute53Resolver", "Route53ResolverServiceRolePolicy"),
    "apprunner.amazonaws.com": ("AWSServiceRoleForAppRunner", "AppRunnerServiceRolePolicy"),
    "grafana.amazonaws.com": ("AWSServiceRoleForAmazonGrafana", "AmazonGrafanaServiceLinkedRolePolicy"),
    "airflow.amazonaws.com": ("AWSServiceRoleForAmazonMWAA", "AmazonMWAAServiceRolePolicy"),
    "replicator.lambda.amazonaws.com": ("AWSServiceRoleForLambdaReplicator", "AWSLambdaReplicator"),
    "devops-guru.amazonaws.com": ("AWSServiceRoleForDevOpsGuru", "AmazonDevOpsGuruServiceRolePolicy"),
    "datasync.amazonaws.com": ("AWSServiceRoleForAWSDataSync", "AWSDataSyncServiceRolePolicy"),
    "detective.amazonaws.com": ("AWSServiceRoleForDetective", "AmazonDetectiveServiceLinkedRolePolicy"),
    "fms.amazonaws.com": ("AWSServiceRoleForFMS", "FMSServiceRolePolicy"),
    "shield.amazonaws.com": ("AWSServiceRoleForAWSShield", "AWSShieldServiceRolePolicy"),
    "sagemaker.amazonaws.com": ("AWSServiceRoleForAmazonSageMakerNotebooks", "AmazonSageMakerNotebooksServiceRolePolicy"),
    "emr-containers.amazonaws.com": ("AWSServiceRoleForAmazonEMRContainers", "AmazonEMRContainersServiceRolePolicy"),
    "ipam.amazonaws.com": ("AWSServiceRoleForIPAM", "AWSIPAMServiceRolePolicy"),
    "cognito-idp.amazonaws.com": ("AWSServiceRoleForAmazonCognitoIdp", "AmazonCognitoIdpServiceRolePolicy"),
}

# Services that accept a CustomSuffix (recorded: autoscaling, connect, lexv2); every other refuses one.
_SUFFIX_ALLOWED = frozenset({"autoscaling.amazonaws.com", "connect.amazonaws.com", "lexv2.amazonaws.com"})

_SLR_POLICY_PREFIX = aws_catalogue.ARN_PREFIX + "aws-service-role/"


def role_name_for(service: str) -> str:
    known = _SERVICES.get(service)
    if known is not None:
        return known[0]
    head = service.removesuffix(".amazonaws.com")
    words = [word for word in re.split(r"[^A-Za-z0-9]+", head) if word]
    return "AWSServiceRoleFor" + "".join(word[0].upper() + word[1:] for word in words)


def policy_arn_for(service: str) -> str | None:
    """The service's AWS managed policy for its service-linked role, if the catalogue has it."""
    known = _SERVICES.get(service)
    if known is None:
        return None
    arn = _SLR_POLICY_PREFIX + known[1]
    return arn if aws_catalogue.get(arn) is not None else None


def trust_policy(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]}, "Action": ["sts:AssumeRole"]}],
    }, separators=(",", ":"))


def path_for(service: str) -> str:
    return f"/aws-service-role/{service}/"


def create_resource(call: Call, params: dict) -> str:
    service = params["AWSServiceName"]
    name = role_name_for(service)
    if params.get("CustomSuffix"):
        name += "_" + params["CustomSuffix"]
    return ids.entity_arn(call.account_id, "role", path_for(service), name)


def role_resource(call: Call, params: dict) -> str:
    return role_area.resource_arn(call, params)


def task_resource(call: Call, params: dict) -> str:
    """The role a deletion task is about: task/aws-service-role/<service>/<role-name>/<uuid>."""
    parts = params["DeletionTaskId"].split("/")
    if len(parts) == 5 and parts[:2] == ["task", "aws-service-role"]:
        return ids.entity_arn(call.account_id, "role", path_for(parts[2]), parts[3])
    return ids.entity_arn(call.account_id, "role", "/aws-service-role/", "*")


def create_service_linked_role(tx: Connection, call: Call, params: dict) -> dict:
    service = params["AWSServiceName"]
    suffix = params.get("CustomSuffix")
    if suffix is not None and service not in _SUFFIX_ALLOWED:
        raise InvalidInput(f"Custom suffix is not allowed for {service}")
    name = role_name_for(service) + (f"_{suffix}" if suffix else "")
    if tx.execute(select(roles.c.id).where(roles.c.account_id == call.account_id,
                                           roles.c.name_key == name.lower())).first():
        raise InvalidInput(f"Service role name {name} has been taken in this account, please try a different suffix.")
    row = role_area.insert_role(tx, call, name, path_for(service), trust_policy(service),
                                description=params.get("Description"), service_linked=service)
    policy_arn = policy_arn_for(service)
    if policy_arn is not None:
        tx.execute(insert(policy_attachments).values(
            entity_id=row.id, policy_arn=policy_arn, account_id=call.account_id, entity_kind="role",
            attached_at=call.now))
    return {"Role": role_area.describe(row)}


def delete_service_linked_role(tx: Connection, call: Call, params: dict) -> dict:
    row = role_area.find_role(tx, call.account_id, params["RoleName"])
    if row.service_linked is None:
        raise InvalidInput(f"Role {row.name} is not a service-linked role.")
    for column in (policy_attachments.c.entity_id, inline_policies.c.entity_id, instance_profile_roles.c.role_id):
        tx.execute(delete(column.table).where(column == row.id))
    role_area.remove_role(tx, row.id)
    task_id = f"task/aws-service-role/{row.service_linked}/{row.name}/{uuid.uuid4()}"
    tx.execute(insert(deletion_tasks).values(id=task_id, account_id=call.account_id, status="SUCCEEDED",
                                             created_at=call.now))
    return {"DeletionTaskId": task_id}


def get_service_linked_role_deletion_status(tx: Connection, call: Call, params: dict) -> dict:
    task_id = params["DeletionTaskId"]
    row = tx.execute(select(deletion_tasks).where(
        deletion_tasks.c.id == task_id, deletion_tasks.c.account_id == call.account_id)).first()
    if row is None:
        raise NoSuchEntity(f"Deletion task {task_id} cannot be found.")
    result: dict = {"Status": row.status}
    if row.reason:
        result["Reason"] = {"Reason": row.reason}
    return result


OPERATIONS = (
    iam("CreateServiceLinkedRole", create_service_linked_role, create_resource),
    iam("DeleteServiceLinkedRole", delete_service_linked_role, role_resource),
    iam("GetServiceLinkedRoleDeletionStatus", get_service_linked_role_deletion_status, task_resource,
        writes=False),
)
