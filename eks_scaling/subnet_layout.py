"""Each subnet's CIDR follows its availability zone, not its place in `availabilityZones`.

A subnet that moves to another zone is replaced, and CloudFormation creates the replacement before it
deletes the old one: had the new subnet the old one's CIDR (the CDK's default numbering is by list
position), EC2 would refuse it (CreateSubnet: InvalidSubnet.Conflict). Numbered by the zone's letter, a
zone keeps its CIDRs whatever its position, and two zones never share one. Zones a and b get the
CIDRs the CDK's own numbering gives the first two positions, so the default layout does not move.
"""

from __future__ import annotations

from eks_scaling.setting_parsers import ConfigError

VPC_CIDR = "10.0.0.0/16"
# Public /24s from 10.0.0.0; private /19s after the first /19, which holds the public ones: seven fit.
ZONE_LETTERS = "abcdefg"


def zone_slot(zone: str) -> int:
    letter = zone[-1]
    if letter not in ZONE_LETTERS:
        raise ConfigError(f"invalid setting availabilityZones: zone {zone} has no subnet CIDRs in this VPC's layout "
                          f"(zones ending in {', '.join(ZONE_LETTERS)})")
    return ZONE_LETTERS.index(letter)


def public_cidr(zone: str) -> str:
    return f"10.0.{zone_slot(zone)}.0/24"


def private_cidr(zone: str) -> str:
    return f"10.0.{32 * (zone_slot(zone) + 1)}.0/19"
