variable "region" {
  type        = string
  description = "AWS region of the stack."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as eu-west-1."
  }
}

variable "name" {
  type        = string
  description = "Name prefix of the stack, e.g. webhook-relay-staging."
  default     = "webhook-relay"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,30}$", var.name))
    error_message = "name must be 3-31 characters: lower-case letters, digits and dashes."
  }
}

variable "image_tag" {
  type        = string
  description = "Relay image tag to deploy (a release tag such as 1.4.0)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.image_tag))
    error_message = "image_tag must be a valid OCI tag."
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

variable "ingress_host" {
  type        = string
  description = "Public host name of the relay."

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.ingress_host))
    error_message = "ingress_host must be a host name."
  }
}

variable "cluster_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the EKS API publicly (Terraform's own address must be among them unless it runs inside the VPC)."
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "cluster_public_access_cidrs must be CIDR blocks."
  }
}

variable "cluster_issuer" {
  type        = string
  description = "cert-manager ClusterIssuer for the relay's certificate; empty leaves TLS to you."
  default     = ""

  validation {
    condition     = var.cluster_issuer == "" || can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.cluster_issuer))
    error_message = "cluster_issuer must be empty or a Kubernetes object name."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One shared NAT gateway (cheaper, for staging)."
  default     = false
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the database from deletion."
  default     = true
}
