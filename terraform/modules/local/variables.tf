variable "cluster_name" {
  type        = string
  description = "Name of the kind cluster (also the kubectl context suffix: kind-<name>)."
  default     = "webhook-relay"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be a DNS label of at most 32 lower-case characters."
  }
}

variable "node_image" {
  type        = string
  description = "kindest/node image, pinned so every developer runs the same Kubernetes version."
  default     = "kindest/node:v1.33.1"

  validation {
    condition     = can(regex("^kindest/node:v[0-9]+\\.[0-9]+\\.[0-9]+", var.node_image))
    error_message = "node_image must be a kindest/node:vX.Y.Z image."
  }
}

variable "host_http_port" {
  type        = number
  description = "Host port mapped to the ingress controller's HTTP port."
  default     = 80

  validation {
    condition     = var.host_http_port >= 1 && var.host_http_port <= 65535 && floor(var.host_http_port) == var.host_http_port
    error_message = "host_http_port must be an integer between 1 and 65535."
  }
}

variable "host_https_port" {
  type        = number
  description = "Host port mapped to the ingress controller's HTTPS port."
  default     = 443

  validation {
    condition     = var.host_https_port >= 1 && var.host_https_port <= 65535 && floor(var.host_https_port) == var.host_https_port
    error_message = "host_https_port must be an integer between 1 and 65535."
  }
}

variable "chart_path" {
  type        = string
  description = "Path to a webhook-relay Helm chart directory; empty uses the chart in this repository."
  default     = ""

  validation {
    condition     = var.chart_path == "" || fileexists("${var.chart_path}/Chart.yaml")
    error_message = "chart_path must be a directory holding a Chart.yaml."
  }
}

variable "namespace" {
  type        = string
  description = "Namespace for the relay release."
  default     = "webhook-relay"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "image_repository" {
  type        = string
  description = "Relay image repository."
  default     = "ghcr.io/webhook-relay/webhook-relay"

  validation {
    condition     = can(regex("^[a-z0-9./_-]+$", var.image_repository))
    error_message = "image_repository must be a lower-case image reference without a tag."
  }
}

variable "image_tag" {
  type        = string
  description = "Relay image tag; empty uses the chart's appVersion."
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{0,128}$", var.image_tag))
    error_message = "image_tag must be a valid OCI tag (or empty)."
  }
}

variable "load_local_image" {
  type        = bool
  description = "Run `kind load docker-image` for image_repository:image_tag before installing, for images built locally and never pushed."
  default     = false
}

variable "ingress_host" {
  type        = string
  description = "Host name of the relay ingress; *.localtest.me resolves to 127.0.0.1."
  default     = "relay.localtest.me"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.ingress_host))
    error_message = "ingress_host must be a host name."
  }
}

variable "plugins" {
  type        = list(string)
  description = "Extra plugin packages (RELAY_PLUGINS); they must be in the image."
  default     = []

  validation {
    condition     = alltrue([for p in var.plugins : can(regex("^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$", p))])
    error_message = "plugins must be npm package names."
  }
}

variable "egress_allow" {
  type        = list(string)
  description = "CIDRs exempt from the SSRF guard (RELAY_EGRESS_ALLOW), e.g. a receiver inside the cluster during demos."
  default     = []

  validation {
    condition     = alltrue([for c in var.egress_allow : can(cidrhost(c, 0))])
    error_message = "egress_allow must be CIDR blocks."
  }
}

variable "ingress_nginx" {
  type = object({
    repository = string
    version    = string
  })
  description = "Helm repository and chart version of ingress-nginx, which serves the relay and Grafana on the host ports."
  default = {
    repository = "https://kubernetes.github.io/ingress-nginx"
    version    = "4.12.3"
  }

  validation {
    condition     = can(regex("^(https?|oci)://", var.ingress_nginx.repository)) && length(var.ingress_nginx.version) > 0
    error_message = "ingress_nginx needs an http(s) or oci repository URL and a chart version."
  }
}

variable "enable_monitoring" {
  type        = bool
  description = "Install kube-prometheus-stack (Prometheus, Grafana) and turn on the chart's ServiceMonitors, rules and dashboards."
  default     = false
}

variable "kube_prometheus_stack" {
  type = object({
    repository = string
    version    = string
  })
  description = "Helm repository and chart version of kube-prometheus-stack."
  default = {
    repository = "https://prometheus-community.github.io/helm-charts"
    version    = "75.6.1"
  }

  validation {
    condition     = can(regex("^(https?|oci)://", var.kube_prometheus_stack.repository)) && length(var.kube_prometheus_stack.version) > 0
    error_message = "kube_prometheus_stack needs an http(s) or oci repository URL and a chart version."
  }
}

variable "grafana_host" {
  type        = string
  description = "Host name of the Grafana ingress when monitoring is enabled."
  default     = "grafana.localtest.me"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.grafana_host))
    error_message = "grafana_host must be a host name."
  }
}

variable "enable_cert_manager" {
  type        = bool
  description = "Install cert-manager (with its CRDs). Issuers are yours to create; name one in cluster_issuer to get TLS on the relay ingress."
  default     = false
}

variable "cert_manager" {
  type = object({
    repository = string
    version    = string
  })
  description = "Helm repository and chart version of cert-manager."
  default = {
    repository = "https://charts.jetstack.io"
    version    = "v1.18.1"
  }

  validation {
    condition     = can(regex("^(https?|oci)://", var.cert_manager.repository)) && length(var.cert_manager.version) > 0
    error_message = "cert_manager needs an http(s) or oci repository URL and a chart version."
  }
}

variable "cluster_issuer" {
  type        = string
  description = "cert-manager ClusterIssuer for the relay ingress; empty serves plain HTTP."
  default     = ""

  validation {
    condition     = var.cluster_issuer == "" || can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.cluster_issuer))
    error_message = "cluster_issuer must be empty or a Kubernetes object name."
  }
}
