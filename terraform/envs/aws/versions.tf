terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: bucket, region and dynamodb_table come from
  # `terraform init -backend-config=backend.hcl` (see backend.hcl.example),
  # as created by terraform/bootstrap.
  backend "s3" {
    key     = "webhook-relay/aws/terraform.tfstate"
    encrypt = true
  }
}
