"""The AWS regions, offline: a region that does not exist fails synth rather than the deploy.

From aws-cdk-lib 2.275.0 region-info/lib/aws-entities.js (AWS_REGIONS_AND_RULES, its rule markers left
out). A region AWS opens later needs a newer aws-cdk-lib anyway. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import re

from eks_scaling.typed_text import ascii_pattern

REGIONS = (
    "us-east-1", "eu-west-1", "us-west-1", "ap-southeast-1", "ap-northeast-1", "us-gov-west-1", "us-west-2",
    "sa-east-1", "ap-southeast-2", "cn-north-1", "us-iso-east-1", "eu-central-1", "ap-northeast-2", "ap-south-1",
    "us-east-2", "ca-central-1", "eu-west-2", "us-isob-east-1", "cn-northwest-1", "eu-west-3", "ap-northeast-3",
    "us-gov-east-1", "eu-north-1", "ap-east-1", "me-south-1", "af-south-1", "eu-south-1", "us-iso-west-1",
    "ap-southeast-3", "me-central-1", "eu-central-2", "eu-south-2", "ap-south-2", "ap-southeast-4", "il-central-1",
    "ca-west-1", "ap-southeast-5", "ap-southeast-7", "mx-central-1", "eu-isoe-west-1", "us-isob-west-1",
    "ap-east-2", "eusc-de-east-1", "ap-southeast-6", "us-isof-south-1", "us-isof-east-1",
)
_ANY_REGION = "|".join(map(re.escape, sorted(REGIONS, key=len, reverse=True)))
REGION_NAME = ascii_pattern(f"(?:{_ANY_REGION})")
# A zone is its region's name and a letter (eu-west-1a); Local and Wavelength Zones are not for EKS nodes here.
ZONE_NAME = ascii_pattern(f"(?:{_ANY_REGION})[a-z]")
