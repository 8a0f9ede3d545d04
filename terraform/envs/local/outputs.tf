output "ingest_url" {
  description = "POST webhooks to <ingest_url><source slug>."
  value       = module.relay.ingest_url
}

output "api_url" {
  description = "REST API base URL."
  value       = module.relay.api_url
}

output "grafana_url" {
  description = "Grafana URL, or null without monitoring."
  value       = module.relay.grafana_url
}

output "grafana_admin_password" {
  description = "Grafana admin password (terraform output -raw grafana_admin_password)."
  value       = module.relay.grafana_admin_password
  sensitive   = true
}

output "admin_token" {
  description = "REST API bearer token (terraform output -raw admin_token)."
  value       = module.relay.admin_token
  sensitive   = true
}

output "kube_context" {
  description = "kubectl context of the cluster."
  value       = module.relay.kube_context
}
