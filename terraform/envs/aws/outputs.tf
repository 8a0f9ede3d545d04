output "kubeconfig" {
  description = "kubeconfig for the cluster (terraform output -raw kubeconfig > kubeconfig)."
  value       = module.relay.kubeconfig
  sensitive   = true
}

output "db_endpoint" {
  description = "RDS Postgres endpoint."
  value       = module.relay.db_endpoint
}

output "redis_endpoint" {
  description = "ElastiCache Redis primary endpoint."
  value       = module.relay.redis_endpoint
}

output "archive_bucket" {
  description = "S3 bucket for the s3 plugin."
  value       = module.relay.archive_bucket
}

output "ingest_url" {
  description = "Base URL for incoming webhooks."
  value       = module.relay.ingest_url
}

output "admin_token" {
  description = "REST API bearer token."
  value       = module.relay.admin_token
  sensitive   = true
}
