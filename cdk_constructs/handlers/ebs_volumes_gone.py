"""Custom resource handler: on Delete, wait until no EBS volume tagged for this cluster is left.

Runs as inline Lambda code (cfnresponse is available to inline Python functions only): keep it short.
"""
import time

POLL_SECONDS = 15


def remaining_volumes(ec2, tag_key, tag_value):
    """Ids of the volumes tagged tag_key=tag_value that are not deleted yet."""
    pages = ec2.get_paginator("describe_volumes").paginate(
        Filters=[{"Name": "tag:" + tag_key, "Values": [tag_value]}])
    return sorted(volume["VolumeId"] for page in pages for volume in page["Volumes"] if volume["State"] != "deleted")


def wait_for_deletion(ec2, tag_key, tag_value, seconds_left):
    """(True, []) once none is left; (False, ids) when time runs out first."""
    while True:
        left = remaining_volumes(ec2, tag_key, tag_value)
        if not left or seconds_left() < POLL_SECONDS:
            return not left, left
        time.sleep(POLL_SECONDS)


def handler(event, context, ec2=None, send=None):
    if send is None:
        import cfnresponse
        send = cfnresponse.send
    props = event["ResourceProperties"]
    physical_id = "ebs-volumes-" + props["TagValue"]
    try:
        if event["RequestType"] != "Delete":
            send(event, context, "SUCCESS", {}, physical_id)
            return
        if ec2 is None:
            import boto3
            ec2 = boto3.client("ec2")
        margin = int(props.get("MarginSeconds", 60))
        done, left = wait_for_deletion(ec2, props["TagKey"], props["TagValue"],
                                       lambda: context.get_remaining_time_in_millis() / 1000 - margin)
        if done:
            send(event, context, "SUCCESS", {}, physical_id)
        else:
            reason = ("the EBS CSI driver has not deleted these volumes yet; delete them by hand, then retry: "
                      + ", ".join(left))
            send(event, context, "FAILED", {}, physical_id, reason=reason)
    except Exception as error:  # always answer CloudFormation, or it waits an hour
        send(event, context, "FAILED", {}, physical_id, reason=str(error)[:500])
