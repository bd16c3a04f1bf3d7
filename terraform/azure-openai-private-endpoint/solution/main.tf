# Lab azure-openai-private-endpoint: reference solution.
#
# An Azure OpenAI account with its own subdomain and a system-assigned identity, closed to public networks
# and to API keys, reached through an approved private endpoint whose private DNS zone is linked to the
# VNet; one chat deployment on a data-zone SKU with capped capacity and a custom content filter; audit
# logs to a Log Analytics workspace.

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
# Network and logging
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

  # Entra ID tokens and private endpoints need the account's own host name; it cannot be changed later.
  custom_subdomain_name = local.name

  public_network_access_enabled = false
  local_auth_enabled            = false

  # Advisory: the account itself may call no host (list any it needs in fqdns).
  outbound_network_access_restricted = true
  fqdns                              = []

  identity {
    type = "SystemAssigned"
  }

  network_acls {
    default_action = "Deny"
    bypass         = "None"
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Private endpoint and private DNS
# ---------------------------------------------------------------------------------------------------

resource "azurerm_private_dns_zone" "openai" {
  name                = "privatelink.openai.azure.com"
  resource_group_name = azurerm_resource_group.lab.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "openai" {
  name                 = "vnet-labcheck"
  private_dns_zone_id  = azurerm_private_dns_zone.openai.id
  virtual_network_id   = azurerm_virtual_network.lab.id
  registration_enabled = false
  tags                 = local.tags
}

resource "azurerm_private_endpoint" "openai" {
  name                = "pe-${local.name}"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  subnet_id           = azurerm_subnet.private_endpoints.id

  private_service_connection {
    name                           = local.name
    private_connection_resource_id = azurerm_cognitive_account.openai.id
    subresource_names              = ["account"]
    is_manual_connection           = false
  }

  # The zone group writes the account's A record into the zone, with the endpoint's private IP.
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.openai.id]
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Content filter and deployment
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account_rai_policy" "strict" {
  name                 = "labcheck-strict"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  base_policy_name     = "Microsoft.DefaultV2"
  mode                 = "Blocking"

  content_filter {
    name               = "Hate"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Prompt"
  }
  content_filter {
    name               = "Hate"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Completion"
  }
  content_filter {
    name               = "Sexual"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Prompt"
  }
  content_filter {
    name               = "Sexual"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Completion"
  }
  content_filter {
    name               = "Violence"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Prompt"
  }
  content_filter {
    name               = "Violence"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Completion"
  }
  content_filter {
    name               = "Selfharm"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Prompt"
  }
  content_filter {
    name               = "Selfharm"
    filter_enabled     = true
    block_enabled      = true
    severity_threshold = "Medium"
    source             = "Completion"
  }

  # The shields take no severity threshold (the provider rejects one).
  content_filter {
    name           = "Jailbreak"
    filter_enabled = true
    block_enabled  = true
    source         = "Prompt"
  }
  content_filter {
    name           = "Indirect Attack"
    filter_enabled = true
    block_enabled  = true
    source         = "Prompt"
  }

  tags = local.tags
}

resource "azurerm_cognitive_deployment" "chat" {
  name                 = var.chat_model.name
  cognitive_account_id = azurerm_cognitive_account.openai.id

  model {
    format  = "OpenAI"
    name    = var.chat_model.name
    version = var.chat_model.version
  }

  # Data-zone routing keeps prompts in the EU data zone; 10 units are 10K tokens per minute.
  sku {
    name     = "DataZoneStandard"
    capacity = 10
  }

  rai_policy_name        = azurerm_cognitive_account_rai_policy.strict.name
  version_upgrade_option = "NoAutoUpgrade"
}

# ---------------------------------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------------------------------

resource "azurerm_monitor_diagnostic_setting" "openai" {
  name                       = "to-law"
  target_resource_id         = azurerm_cognitive_account.openai.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.lab.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
