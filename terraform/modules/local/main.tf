# A kind cluster with ingress-nginx on the host's ports, the relay chart with
# its in-chart Postgres and Redis, and optionally kube-prometheus-stack and
# cert-manager. Providers are configured by the caller (envs/local), which
# points the helm provider at the cluster this module creates.

locals {
  chart_path   = var.chart_path != "" ? var.chart_path : "${path.module}/../../../chart/webhook-relay"
  http_suffix  = var.host_http_port == 80 ? "" : ":${var.host_http_port}"
  relay_url    = "http://${var.ingress_host}${local.http_suffix}"
  grafana_url  = "http://${var.grafana_host}${local.http_suffix}"
  image        = var.image_tag == "" ? var.image_repository : "${var.image_repository}:${var.image_tag}"
  monitoring   = var.enable_monitoring ? "monitoring" : null
  ingress_ns   = "ingress-nginx"
  release_name = "webhook-relay"
}

resource "kind_cluster" "this" {
  name           = var.cluster_name
  node_image     = var.node_image
  wait_for_ready = true

  kind_config {
    kind        = "Cluster"
    api_version = "kind.x-k8s.io/v1alpha4"

    node {
      role = "control-plane"

      # ingress-nginx schedules onto the labelled node and binds its host
      # ports, which kind maps to the host below.
      kubeadm_config_patches = [
        "kind: InitConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n    node-labels: \"ingress-ready=true\"\n",
      ]

      extra_port_mappings {
        container_port = 80
        host_port      = var.host_http_port
        listen_address = "127.0.0.1"
      }
      extra_port_mappings {
        container_port = 443
        host_port      = var.host_https_port
        listen_address = "127.0.0.1"
      }
    }
  }
}

# Images built on the host are invisible to kind's containerd until loaded.
resource "terraform_data" "load_image" {
  count            = var.load_local_image ? 1 : 0
  triggers_replace = [kind_cluster.this.id, local.image]

  provisioner "local-exec" {
    command = "kind load docker-image '${local.image}' --name '${var.cluster_name}'"
  }
}

resource "helm_release" "ingress_nginx" {
  name             = "ingress-nginx"
  namespace        = local.ingress_ns
  create_namespace = true
  repository       = var.ingress_nginx.repository
  chart            = "ingress-nginx"
  version          = var.ingress_nginx.version
  wait             = true

  values = [yamlencode({
    controller = {
      hostPort     = { enabled = true }
      service      = { type = "ClusterIP" }
      nodeSelector = { "ingress-ready" = "true" }
      tolerations = [
        { key = "node-role.kubernetes.io/control-plane", operator = "Exists", effect = "NoSchedule" },
      ]
      publishService = { enabled = false }
      extraArgs      = { "publish-status-address" = "127.0.0.1" }
    }
  })]
}

resource "helm_release" "cert_manager" {
  count            = var.enable_cert_manager ? 1 : 0
  name             = "cert-manager"
  namespace        = "cert-manager"
  create_namespace = true
  repository       = var.cert_manager.repository
  chart            = "cert-manager"
  version          = var.cert_manager.version
  wait             = true

  values = [yamlencode({ crds = { enabled = true } })]
}

resource "helm_release" "kube_prometheus_stack" {
  count            = var.enable_monitoring ? 1 : 0
  name             = "kube-prometheus-stack"
  namespace        = local.monitoring
  create_namespace = true
  repository       = var.kube_prometheus_stack.repository
  chart            = "kube-prometheus-stack"
  version          = var.kube_prometheus_stack.version
  wait             = true
  timeout          = 900

  values = [yamlencode({
    grafana = {
      adminPassword = random_password.grafana.result
      ingress = {
        enabled          = true
        ingressClassName = "nginx"
        hosts            = [var.grafana_host]
      }
      # The relay chart ships dashboards as labelled ConfigMaps in its own
      # namespace; the sidecar must look beyond Grafana's namespace.
      sidecar = { dashboards = { enabled = true, searchNamespace = "ALL", folderAnnotation = "grafana_folder", provider = { foldersFromFilesStructure = true } } }
    }
    prometheus = {
      prometheusSpec = {
        # Select ServiceMonitors and rules from every release, not only this one.
        serviceMonitorSelectorNilUsesHelmValues = false
        ruleSelectorNilUsesHelmValues           = false
      }
    }
  })]

  depends_on = [helm_release.ingress_nginx]
}

resource "random_password" "grafana" {
  length  = 24
  special = false
}

resource "random_password" "admin_token" {
  length  = 40
  special = false
}

# RELAY_ENCRYPTION_KEY is 32 random bytes, base64-encoded.
resource "random_bytes" "encryption_key" {
  length = 32
}

resource "helm_release" "relay" {
  name             = local.release_name
  namespace        = var.namespace
  create_namespace = true
  chart            = local.chart_path
  wait             = true
  timeout          = 600

  values = [yamlencode({
    image     = { repository = var.image_repository, tag = var.image_tag, pullPolicy = var.load_local_image ? "Never" : "IfNotPresent" }
    publicUrl = local.relay_url
    config = {
      plugins     = join(",", var.plugins)
      egressAllow = join(",", var.egress_allow)
    }
    # Demo sizes: one replica each keeps a laptop cluster responsive.
    api    = { replicas = 1 }
    worker = { replicas = 1 }
    ingress = {
      enabled       = true
      className     = "nginx"
      host          = var.ingress_host
      clusterIssuer = var.cluster_issuer
    }
    networkPolicy = {
      ingressControllerNamespaceSelector = { "kubernetes.io/metadata.name" = local.ingress_ns }
    }
    metrics = {
      serviceMonitor = { enabled = var.enable_monitoring }
      prometheusRule = { enabled = var.enable_monitoring }
    }
    dashboards = { enabled = var.enable_monitoring }
  })]

  set_sensitive = [
    { name = "secrets.adminToken", value = random_password.admin_token.result },
    { name = "secrets.encryptionKey", value = random_bytes.encryption_key.base64 },
  ]

  depends_on = [
    helm_release.ingress_nginx,
    helm_release.kube_prometheus_stack,
    helm_release.cert_manager,
    terraform_data.load_image,
  ]
}
