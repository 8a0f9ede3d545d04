output "ingest_url" {
  description = "Base URL for incoming webhooks: POST to <ingest_url><source slug>."
  value       = "${local.relay_url}/in/"
}

output "api_url" {
  description = "Base URL of the REST API."
  value       = "${local.relay_url}/api/v1"
}

output "grafana_url" {
  description = "Grafana URL (user admin), or null when monitoring is disabled."
  value       = var.enable_monitoring ? local.grafana_url : null
}

output "grafana_admin_password" {
  description = "Grafana admin password, or null when monitoring is disabled."
  value       = var.enable_monitoring ? random_password.grafana.result : null
  sensitive   = true
}

output "admin_token" {
  description = "Bearer token for the REST API (RELAY_ADMIN_TOKEN)."
  value       = random_password.admin_token.result
  sensitive   = true
}

output "kube_host" {
  description = "Kubernetes API endpoint of the kind cluster."
  value       = kind_cluster.this.endpoint
}

output "kube_cluster_ca_certificate" {
  description = "PEM CA certificate of the kind cluster's API server."
  value       = kind_cluster.this.cluster_ca_certificate
}

output "kube_client_certificate" {
  description = "PEM client certificate for the kind cluster admin."
  value       = kind_cluster.this.client_certificate
}

output "kube_client_key" {
  description = "PEM client key for the kind cluster admin."
  value       = kind_cluster.this.client_key
  sensitive   = true
}

output "kubeconfig" {
  description = "Admin kubeconfig of the kind cluster."
  value       = kind_cluster.this.kubeconfig
  sensitive   = true
}

output "kube_context" {
  description = "kubectl context name kind writes to ~/.kube/config."
  value       = "kind-${var.cluster_name}"
}
