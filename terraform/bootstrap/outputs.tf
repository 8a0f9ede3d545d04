output "state_bucket" {
  description = "S3 bucket for envs/aws backend configuration (bucket)."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table" {
  description = "DynamoDB table for envs/aws backend configuration (dynamodb_table)."
  value       = aws_dynamodb_table.locks.name
}

output "region" {
  description = "Region for envs/aws backend configuration (region)."
  value       = var.region
}
