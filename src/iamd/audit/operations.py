"""The CloudTrail and Access Analyzer operations iamd serves, declared as IAM's are (service.declare):
authorized by the same engine, as cloudtrail:LookupEvents and access-analyzer:StartPolicyGeneration ..."""

from __future__ import annotations

from iamd.audit import advisor, analyzer, lookup
from iamd.service.declare import Operation, any_resource

OPERATIONS: dict[tuple[str, str], Operation] = {
    (op.service, op.name): op for op in (
        Operation("cloudtrail", "LookupEvents", lookup.lookup_events, any_resource, writes=False,
                  changes_access=False),
        Operation("access-analyzer", "StartPolicyGeneration", analyzer.start_policy_generation, any_resource,
                  writes=True, changes_access=False),
        Operation("access-analyzer", "GetGeneratedPolicy", analyzer.get_generated_policy, any_resource,
                  writes=False, changes_access=False),
        Operation("access-analyzer", "ListPolicyGenerations", analyzer.list_policy_generations, any_resource,
                  writes=False, changes_access=False),
    )
}

# The console's Access Advisor reads the event history: authorized, and recorded, as cloudtrail:LookupEvents.
ACCESS_ADVISOR = Operation("cloudtrail", "LookupEvents", advisor.access_advisor, any_resource, writes=False,
                           changes_access=False)

# The operations that read the trail: the server writes its deferred events before running them.
READS_TRAIL = frozenset({("cloudtrail", "LookupEvents"), ("access-analyzer", "StartPolicyGeneration")})
