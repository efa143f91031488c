"""A one-zone VPC whose only way out is a NAT gateway on an Elastic IP the operator allocated.

The pipeline's Verify step runs here, so a stage's endpoint can allow that one address instead of
0.0.0.0/0. Built from L1 resources with the zone from Fn::GetAZs: the L2 Vpc of a stack with an
account and region would look its zones up at synth, which must stay offline.
"""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

_VPC_CIDR = "10.0.0.0/24"
_PUBLIC_CIDR = "10.0.0.0/26"
_PRIVATE_CIDR = "10.0.0.64/26"


class FixedEgressNetwork(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, eip_allocation_id: str,
                 flow_log_group: logs.ILogGroup) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.CfnVPC(self, "Vpc", cidr_block=_VPC_CIDR, enable_dns_hostnames=True, enable_dns_support=True)
        zone = Fn.select(0, Fn.get_azs())
        public = ec2.CfnSubnet(self, "PublicSubnet", vpc_id=vpc.ref, cidr_block=_PUBLIC_CIDR, availability_zone=zone)
        private = ec2.CfnSubnet(self, "PrivateSubnet", vpc_id=vpc.ref, cidr_block=_PRIVATE_CIDR,
                                availability_zone=zone)
        gateway = ec2.CfnInternetGateway(self, "InternetGateway")
        attachment = ec2.CfnVPCGatewayAttachment(self, "GatewayAttachment", vpc_id=vpc.ref,
                                                 internet_gateway_id=gateway.ref)
        public_routes = self._route_table("Public", vpc, public)
        to_internet = ec2.CfnRoute(self, "PublicDefaultRoute", route_table_id=public_routes.ref,
                                   destination_cidr_block="0.0.0.0/0", gateway_id=gateway.ref)
        to_internet.add_resource_dependency(attachment)
        nat = ec2.CfnNatGateway(self, "NatGateway", subnet_id=public.ref, allocation_id=eip_allocation_id)
        nat.add_resource_dependency(to_internet)
        private_routes = self._route_table("Private", vpc, private)
        ec2.CfnRoute(self, "PrivateDefaultRoute", route_table_id=private_routes.ref,
                     destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.ref)
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self, "Attributes", vpc_id=vpc.ref, vpc_cidr_block=_VPC_CIDR, availability_zones=[zone],
            private_subnet_ids=[private.ref], private_subnet_route_table_ids=[private_routes.ref])
        self.subnets = ec2.SubnetSelection(subnets=self.vpc.private_subnets)
        ec2.FlowLog(self, "FlowLog", resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group))

    def _route_table(self, name: str, vpc: ec2.CfnVPC, subnet: ec2.CfnSubnet) -> ec2.CfnRouteTable:
        table = ec2.CfnRouteTable(self, f"{name}Routes", vpc_id=vpc.ref)
        ec2.CfnSubnetRouteTableAssociation(self, f"{name}RoutesAssociation", route_table_id=table.ref,
                                           subnet_id=subnet.ref)
        return table
