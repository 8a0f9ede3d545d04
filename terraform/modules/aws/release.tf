resource "helm_release" "relay" {
  name             = "webhook-relay"
  namespace        = var.namespace
  create_namespace = true
  chart            = local.chart
  version          = startswith(local.chart, "oci://") ? var.chart_version : null
  wait             = true
  timeout          = 900

  values = [yamlencode({
    image     = { repository = var.image_repository, tag = var.image_tag }
    publicUrl = "https://${var.ingress_host}"
    config    = { plugins = join(",", var.plugins) }

    postgresql = { enabled = false }
    externalDatabase = {
      host     = aws_db_instance.postgres.address
      port     = aws_db_instance.postgres.port
      database = aws_db_instance.postgres.db_name
      user     = aws_db_instance.postgres.username
      sslMode  = "require"
      cidrs    = aws_subnet.private[*].cidr_block
    }

    redis = { enabled = false }
    externalRedis = {
      host  = aws_elasticache_replication_group.redis.primary_endpoint_address
      port  = aws_elasticache_replication_group.redis.port
      tls   = true
      cidrs = aws_subnet.private[*].cidr_block
    }

    # A fixed name, because the IRSA trust policy names it.
    serviceAccount = {
      create      = true
      name        = local.service_account
      annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.relay.arn }
    }

    ingress = {
      enabled       = true
      className     = var.ingress_class_name
      host          = var.ingress_host
      clusterIssuer = var.cluster_issuer
    }

    keda = { enabled = var.enable_keda }
  })]

  set_sensitive = [
    { name = "externalDatabase.password", value = random_password.db.result },
    { name = "externalRedis.password", value = random_password.redis.result },
    { name = "secrets.adminToken", value = local.admin_token },
    { name = "secrets.encryptionKey", value = random_bytes.encryption_key.base64 },
  ]

  depends_on = [aws_eks_node_group.default, aws_iam_role_policy.relay_archive]
}

locals {
  admin_token = var.admin_token != null ? var.admin_token : random_password.admin_token.result
}
