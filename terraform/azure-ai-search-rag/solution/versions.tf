terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2"
    }
    # Only for what azurerm cannot express: approving the shared private links on the target side.
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.12"
    }
  }
}
