terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2"
    }
    # Only for what azurerm cannot express yet: RAI blocklist items, and a RAI policy that attaches a
    # custom blocklist (azurerm_cognitive_account_rai_policy has no customBlocklists argument).
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.12"
    }
  }
}
