variable "name" {
  type        = string
  description = "Name prefix for every resource (e.g. webhook-relay-staging)."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,30}$", var.name))
    error_message = "name must be 3-31 characters: lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC; split into one public and one private /20 per availability zone."
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 16
    error_message = "vpc_cidr must be a CIDR block of /16 or larger."
  }
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to spread subnets, nodes, RDS and Redis across."
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be between 2 (RDS and EKS need two) and 6."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all private subnets (cheaper) instead of one per AZ (survives an AZ outage)."
  default     = false
}

variable "kubernetes_version" {
  type        = string
  description = "EKS control plane version."
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.33."
  }
}

variable "cluster_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the EKS API endpoint publicly; empty makes the endpoint private only."
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "cluster_public_access_cidrs must be CIDR blocks."
  }
}

variable "node_instance_types" {
  type        = list(string)
  description = "Instance types of the managed node group."
  default     = ["m7i.large"]

  validation {
    condition     = length(var.node_instance_types) > 0 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must be a non-empty list of instance types such as m7i.large."
  }
}

variable "node_scaling" {
  type = object({
    min     = number
    desired = number
    max     = number
  })
  description = "Managed node group size."
  default     = { min = 2, desired = 3, max = 6 }

  validation {
    condition     = var.node_scaling.min >= 1 && var.node_scaling.min <= var.node_scaling.desired && var.node_scaling.desired <= var.node_scaling.max
    error_message = "node_scaling must satisfy 1 <= min <= desired <= max."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
  default     = "db.t4g.medium"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS class such as db.t4g.medium."
  }
}

variable "db_engine_version" {
  type        = string
  description = "RDS Postgres major (or major.minor) version."
  default     = "16"

  validation {
    condition     = can(regex("^1[4-9](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be Postgres 14 or newer, e.g. 16 or 16.4."
  }
}

variable "db_allocated_storage" {
  type        = number
  description = "Initial RDS storage in GiB; autoscaling may grow it to four times this."
  default     = 50

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 16384
    error_message = "db_allocated_storage must be between 20 and 16384 GiB."
  }
}

variable "db_multi_az" {
  type        = bool
  description = "Run RDS with a synchronous standby in another AZ."
  default     = true
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days of automated RDS backups."
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect RDS from deletion and take a final snapshot on destroy. Turn off only for throwaway stacks."
  default     = true
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type."
  default     = "cache.t4g.medium"

  validation {
    condition     = startswith(var.redis_node_type, "cache.")
    error_message = "redis_node_type must be an ElastiCache type such as cache.t4g.medium."
  }
}

variable "redis_engine_version" {
  type        = string
  description = "ElastiCache Redis OSS engine version (Streams and XAUTOCLAIM need 6.2 or newer)."
  default     = "7.1"

  validation {
    condition     = can(regex("^(6\\.2|7\\.[0-9]+)$", var.redis_engine_version))
    error_message = "redis_engine_version must be 6.2 or 7.x."
  }
}

variable "redis_replicas" {
  type        = number
  description = "Read replicas next to the primary; at least one enables automatic failover."
  default     = 1

  validation {
    condition     = var.redis_replicas >= 0 && var.redis_replicas <= 5
    error_message = "redis_replicas must be between 0 and 5."
  }
}

variable "archive_retention_days" {
  type        = number
  description = "Days before archived payloads in the S3 bucket expire; 0 keeps them forever."
  default     = 365

  validation {
    condition     = var.archive_retention_days >= 0
    error_message = "archive_retention_days must be 0 or more."
  }
}

variable "chart_path" {
  type        = string
  description = "Path to a webhook-relay Helm chart directory (or an oci:// chart reference); empty uses the chart in this repository."
  default     = ""

  validation {
    condition     = var.chart_path == "" || startswith(var.chart_path, "oci://") || fileexists("${var.chart_path}/Chart.yaml")
    error_message = "chart_path must be empty, an oci:// reference or a directory holding a Chart.yaml."
  }
}

variable "chart_version" {
  type        = string
  description = "Chart version when chart_path is an oci:// reference; ignored for a local directory."
  default     = ""

  validation {
    condition     = can(regex("^([0-9]+\\.[0-9]+\\.[0-9]+.*)?$", var.chart_version))
    error_message = "chart_version must be empty or a semantic version."
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
  description = "Relay image tag to deploy."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.image_tag))
    error_message = "image_tag must be a valid OCI tag; production deploys name one explicitly."
  }
}

variable "ingress_host" {
  type        = string
  description = "Public host name of the relay (DNS is yours to point at the ingress controller)."

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.ingress_host))
    error_message = "ingress_host must be a host name."
  }
}

variable "ingress_class_name" {
  type        = string
  description = "IngressClass of an ingress controller already running in the cluster (this module does not install one)."
  default     = "nginx"

  validation {
    condition     = length(var.ingress_class_name) > 0
    error_message = "ingress_class_name must not be empty."
  }
}

variable "cluster_issuer" {
  type        = string
  description = "cert-manager ClusterIssuer for the relay's TLS certificate; empty leaves TLS to you."
  default     = ""

  validation {
    condition     = var.cluster_issuer == "" || can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.cluster_issuer))
    error_message = "cluster_issuer must be empty or a Kubernetes object name."
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

variable "enable_keda" {
  type        = bool
  description = "Scale workers on Redis Stream backlog with KEDA (KEDA must already be installed)."
  default     = false
}

variable "admin_token" {
  type        = string
  description = "RELAY_ADMIN_TOKEN; null generates one (read it from the admin_token output)."
  default     = null
  sensitive   = true

  validation {
    condition     = var.admin_token == null || length(coalesce(var.admin_token, "x")) >= 32
    error_message = "admin_token must be at least 32 characters."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every AWS resource."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "tag keys must be at most 128 and values at most 256 characters."
  }
}
