# Lab azure-openai-private-endpoint: starter.
#
# Goal: an Azure OpenAI account that only your VNet can reach, only with Microsoft Entra ID tokens; a chat
# deployment that keeps prompts in the data zone, with capped capacity and a custom content filter; and
# audit logs in Log Analytics.
#
# The resource group, the network, the workspace and a bare account are given. Each "TODO (<check id>)"
# below marks a place where you add a resource or an argument; the check id is the name labcheck reports.
# `labcheck explain azure-openai-private-endpoint <check id>` says what a check wants and why.

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

data "azurerm_client_config" "current" {}

locals {
  # A short, stable suffix keeps the account's subdomain globally unique per subscription and learner.
  suffix = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.learner}"), 0, 6)
  name   = "aoai-labcheck-${local.suffix}"

  # labcheck finds the account by kind in the resource group, then by this tag. Keep it on every resource.
  tags = {
    "labcheck-lab"     = "azure-openai-private-endpoint"
    "labcheck-learner" = var.learner
  }
}

resource "azurerm_resource_group" "lab" {
  name     = var.resource_group_name
  location = var.location
  tags     = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Network and logging (given)
# ---------------------------------------------------------------------------------------------------

resource "azurerm_virtual_network" "lab" {
  name                = "vnet-labcheck"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  address_space       = ["10.20.0.0/16"]
  tags                = local.tags
}

resource "azurerm_subnet" "private_endpoints" {
  name                 = "snet-private-endpoints"
  resource_group_name  = azurerm_resource_group.lab.name
  virtual_network_name = azurerm_virtual_network.lab.name
  address_prefixes     = ["10.20.1.0/24"]
}

resource "azurerm_log_analytics_workspace" "lab" {
  name                = "law-labcheck-${local.suffix}"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

# ---------------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                = local.name
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  kind                = "OpenAI"
  sku_name            = "S0"

  # TODO (aoai-custom-subdomain): give the account its own subdomain (custom_subdomain_name, e.g. local.name).
  # Entra ID tokens and private endpoints need it, and it cannot be added later without recreating the account.

  # TODO (aoai-public-network-disabled): turn public network access off and add a network_acls block whose
  # default action is Deny (bypass "None"), with no IP or virtual network rules.

  # TODO (aoai-local-auth-disabled): disable API keys (local authentication); apps then use Entra ID tokens.

  # TODO (aoai-managed-identity): give the account a system-assigned managed identity.

  # TODO (aoai-outbound-restricted): advisory: restrict the account's outbound network access (an empty
  # allow-list of FQDNs means no host).

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Private endpoint and private DNS
# ---------------------------------------------------------------------------------------------------

# TODO (aoai-private-endpoint-approved): add an azurerm_private_endpoint in the private-endpoints subnet with a
# private_service_connection to the account's "account" sub-resource (automatic approval).

# TODO (aoai-private-dns): add the private DNS zone privatelink.openai.azure.com, link it to the VNet, and give
# the private endpoint a private_dns_zone_group for that zone so the account's A record is written for you.

# ---------------------------------------------------------------------------------------------------
# Content filter and deployment
# ---------------------------------------------------------------------------------------------------

# TODO (aoai-content-filter-custom): add an azurerm_cognitive_account_rai_policy based on Microsoft.DefaultV2
# that blocks Hate, Sexual, Violence and Selfharm at Medium on both Prompt and Completion, with the Jailbreak
# shield on (no severity threshold for the shields).

# TODO (aoai-deployment-present): add an azurerm_cognitive_deployment of a chat model (var.chat_model).
# TODO (aoai-deployment-data-zone): give it a data-zone (or regional Standard) SKU, never a Global one.
# TODO (aoai-deployment-capacity-capped): cap its capacity (10 units are 10K tokens per minute); no PTU SKUs.
# TODO (aoai-no-auto-upgrade): advisory: keep the model version you tested (no automatic upgrades).
# The deployment names the content filter above in rai_policy_name.

# ---------------------------------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------------------------------

# TODO (aoai-diagnostics-to-law): send the account's logs (the allLogs or audit category group) to the Log
# Analytics workspace above with an azurerm_monitor_diagnostic_setting.
