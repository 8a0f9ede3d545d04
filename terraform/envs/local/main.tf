# Local development environment: kind + the relay chart (+ Grafana).
# State stays in a local file; nothing here is shared.

provider "kind" {}

# The helm provider talks to the cluster the module creates in the same
# apply; Terraform configures it once the cluster's credentials are known.
provider "helm" {
  kubernetes = {
    host                   = module.relay.kube_host
    cluster_ca_certificate = module.relay.kube_cluster_ca_certificate
    client_certificate     = module.relay.kube_client_certificate
    client_key             = module.relay.kube_client_key
  }
}

module "relay" {
  source = "../../modules/local"

  image_repository    = var.image_repository
  image_tag           = var.image_tag
  load_local_image    = var.load_local_image
  host_http_port      = var.host_http_port
  host_https_port     = var.host_https_port
  enable_monitoring   = var.enable_monitoring
  enable_cert_manager = var.enable_cert_manager
}
