"""Karpenter's interruption queue and the EventBridge rules that feed it.

Source: aws/karpenter-provider-aws v1.14.1, getting-started cloudformation.yaml (the queue and the
five rules). The detail-types must match EventBridge's exactly: a misspelt one never fires.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# Rule id -> (event source, detail-type)
EVENT_RULES = {
    "ScheduledChange": ("aws.health", "AWS Health Event"),
    "SpotInterruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "Rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "InstanceStateChange": ("aws.ec2", "EC2 Instance State-change Notification"),
    "CapacityReservationInterruption": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


class InterruptionQueue(Construct):
    """An SSE, TLS-only SQS queue keeping messages 300 s, with one EventBridge rule per event kind."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self, "Queue",
            retention_period=Duration.seconds(300),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        for rule_id, (source, detail_type) in EVENT_RULES.items():
            events.Rule(
                self, f"{rule_id}Rule",
                event_pattern=events.EventPattern(source=[source], detail_type=[detail_type]),
                targets=[targets.SqsQueue(self.queue)],
            )
