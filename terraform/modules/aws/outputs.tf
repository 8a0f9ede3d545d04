output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "EKS API server endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority" {
  description = "Base64 PEM CA of the EKS API server."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "kubeconfig" {
  description = "kubeconfig for the cluster; authenticates with `aws eks get-token`, so it holds no credential itself, but is marked sensitive to keep it out of logs."
  sensitive   = true
  value = yamlencode({
    apiVersion      = "v1"
    kind            = "Config"
    current-context = var.name
    clusters        = [{ name = var.name, cluster = { server = aws_eks_cluster.this.endpoint, certificate-authority-data = aws_eks_cluster.this.certificate_authority[0].data } }]
    contexts        = [{ name = var.name, context = { cluster = var.name, user = var.name } }]
    users           = [{ name = var.name, user = { exec = { apiVersion = "client.authentication.k8s.io/v1beta1", command = "aws", args = ["eks", "get-token", "--cluster-name", var.name] } } }]
    preferences     = {}
  })
}

output "db_endpoint" {
  description = "RDS Postgres host:port (private)."
  value       = aws_db_instance.postgres.endpoint
}

output "redis_endpoint" {
  description = "ElastiCache primary endpoint host (TLS, AUTH token required, private)."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "redis_auth_token" {
  description = "ElastiCache AUTH token."
  value       = random_password.redis.result
  sensitive   = true
}

output "db_password" {
  description = "RDS master password of user relay."
  value       = random_password.db.result
  sensitive   = true
}

output "admin_token" {
  description = "REST API bearer token (RELAY_ADMIN_TOKEN)."
  value       = local.admin_token
  sensitive   = true
}

output "archive_bucket" {
  description = "S3 bucket for the s3 action plugin's payload archives."
  value       = aws_s3_bucket.archive.bucket
}

output "relay_role_arn" {
  description = "IAM role the relay's service account assumes through IRSA."
  value       = aws_iam_role.relay.arn
}

output "ingest_url" {
  description = "Base URL for incoming webhooks (once DNS points ingress_host at the ingress controller)."
  value       = "https://${var.ingress_host}/in/"
}

output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Private subnet ids (nodes, RDS, Redis)."
  value       = aws_subnet.private[*].id
}
