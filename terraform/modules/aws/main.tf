# Webhook Relay on AWS: a VPC across AZs, EKS with a managed node group, RDS
# Postgres and ElastiCache Redis in private subnets reachable only from the
# cluster, an S3 bucket for payload archives with an IRSA role for the
# relay's service account, and the chart installed against those endpoints.
#
# Providers are configured by the caller (envs/aws): the helm provider needs
# the cluster this module creates (outputs cluster_endpoint and
# cluster_certificate_authority).

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs             = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  nat_count       = var.single_nat_gateway ? 1 : var.az_count
  service_account = "webhook-relay"
  tags            = merge({ "app.kubernetes.io/part-of" = "webhook-relay", "managed-by" = "terraform" }, var.tags)
  chart           = var.chart_path != "" ? var.chart_path : "${path.module}/../../../chart/webhook-relay"
}
