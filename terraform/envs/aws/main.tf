provider "aws" {
  region = var.region
  default_tags {
    tags = { "managed-by" = "terraform", "app.kubernetes.io/part-of" = "webhook-relay" }
  }
}

# A short-lived token for the cluster the module creates; refreshed on every
# plan, so nothing long-lived lands in state.
data "aws_eks_cluster_auth" "this" {
  name = module.relay.cluster_name
}

provider "helm" {
  kubernetes = {
    host                   = module.relay.cluster_endpoint
    cluster_ca_certificate = base64decode(module.relay.cluster_certificate_authority)
    token                  = data.aws_eks_cluster_auth.this.token
  }
}

module "relay" {
  source = "../../modules/aws"

  name                        = var.name
  image_repository            = var.image_repository
  image_tag                   = var.image_tag
  ingress_host                = var.ingress_host
  cluster_public_access_cidrs = var.cluster_public_access_cidrs
  cluster_issuer              = var.cluster_issuer
  single_nat_gateway          = var.single_nat_gateway
  deletion_protection         = var.deletion_protection
}
