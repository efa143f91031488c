"""Lambda handler code the constructs deploy as assets (stdlib and boto3 only, as the runtime has)."""
