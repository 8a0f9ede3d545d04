variable "image_tag" {
  type        = string
  description = "Relay image tag; empty uses the chart's appVersion."
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{0,128}$", var.image_tag))
    error_message = "image_tag must be a valid OCI tag (or empty)."
  }
}

variable "image_repository" {
  type        = string
  description = "Relay image repository (use webhook-relay with load_local_image for a local build)."
  default     = "ghcr.io/webhook-relay/webhook-relay"

  validation {
    condition     = can(regex("^[a-z0-9./_-]+$", var.image_repository))
    error_message = "image_repository must be a lower-case image reference without a tag."
  }
}

variable "load_local_image" {
  type        = bool
  description = "Load image_repository:image_tag from the local Docker daemon into kind instead of pulling it."
  default     = false
}

variable "host_http_port" {
  type        = number
  description = "Host port for HTTP ingress (use 8080 if 80 is taken)."
  default     = 80

  validation {
    condition     = var.host_http_port >= 1 && var.host_http_port <= 65535
    error_message = "host_http_port must be between 1 and 65535."
  }
}

variable "host_https_port" {
  type        = number
  description = "Host port for HTTPS ingress (use 8443 if 443 is taken)."
  default     = 443

  validation {
    condition     = var.host_https_port >= 1 && var.host_https_port <= 65535
    error_message = "host_https_port must be between 1 and 65535."
  }
}

variable "enable_monitoring" {
  type        = bool
  description = "Install kube-prometheus-stack and expose Grafana."
  default     = true
}

variable "enable_cert_manager" {
  type        = bool
  description = "Install cert-manager."
  default     = false
}
