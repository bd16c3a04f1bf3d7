# Lab azure-ai-search-rag: starter.
#
# Goal: Azure AI Search as the private, keyless retrieval tier of a RAG app. Only a private endpoint
# reaches it, only Entra ID tokens work, and its managed identity reaches Azure OpenAI (for vectorization)
# and the documents' blob storage through shared private links approved on the target side, holding
# just the data roles it needs. Storage is locked down and Search's logs go to Log Analytics.
#
# The resource group, network, workspace, OpenAI account and storage account are given. Each
# "TODO (<check id>)" below marks a place where you add a resource or an argument; the check id is the
# name labcheck reports for it.

provider "azurerm" {
  features {}

  subscription_id = var.subscription_id

  # Once shared keys are off on the storage account, data-plane calls (the container) must use Entra ID.
  storage_use_azuread = true
}

provider "azapi" {}

locals {
  # labcheck picks the lab's resources by the labcheck-lab tag when a resource group holds several.
  # Keep these tags on every resource that takes tags.
  tags = {
    "labcheck-lab"     = "azure-ai-search-rag"
    "labcheck-learner" = var.learner
  }

  search_name  = "srch-labcheck-rag-${var.name_suffix}"
  openai_name  = "aoai-labcheck-rag-${var.name_suffix}"
  storage_name = "stlabcheckrag${var.name_suffix}"
}

resource "azurerm_resource_group" "lab" {
  name     = var.resource_group_name
  location = var.location
  tags     = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Network and monitoring (given).
# ---------------------------------------------------------------------------------------------------

resource "azurerm_virtual_network" "lab" {
  name                = "vnet-labcheck-rag"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  address_space       = [var.vnet_cidr]
  tags                = local.tags
}

resource "azurerm_subnet" "private_endpoints" {
  name                 = "snet-private-endpoints"
  resource_group_name  = azurerm_resource_group.lab.name
  virtual_network_name = azurerm_virtual_network.lab.name
  address_prefixes     = [cidrsubnet(var.vnet_cidr, 8, 1)]
}

resource "azurerm_log_analytics_workspace" "lab" {
  name                = "law-labcheck-rag-${var.name_suffix}"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

# ---------------------------------------------------------------------------------------------------
# The Azure OpenAI account Search grounds with (given; lab azure-openai-private-endpoint builds it in
# full). Keys and public access are off, so Search must reach it privately, as an identity.
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                          = local.openai_name
  location                      = azurerm_resource_group.lab.location
  resource_group_name           = azurerm_resource_group.lab.name
  kind                          = "OpenAI"
  sku_name                      = "S0"
  custom_subdomain_name         = local.openai_name
  public_network_access_enabled = false
  local_auth_enabled            = false

  identity {
    type = "SystemAssigned"
  }

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

resource "azurerm_cognitive_deployment" "embedding" {
  name                 = "text-embedding-3-small"
  cognitive_account_id = azurerm_cognitive_account.openai.id

  model {
    format  = "OpenAI"
    name    = "text-embedding-3-small"
    version = "1"
  }

  sku {
    name     = "Standard"
    capacity = 10
  }
}

# ---------------------------------------------------------------------------------------------------
# The documents' storage account (given, still open).
# ---------------------------------------------------------------------------------------------------

resource "azurerm_storage_account" "documents" {
  name                            = local.storage_name
  location                        = azurerm_resource_group.lab.location
  resource_group_name             = azurerm_resource_group.lab.name
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  default_to_oauth_authentication = true

  # TODO (search-storage-locked-down): close the account to public networks, turn shared-key access
  # off and forbid anonymous blob access (three arguments; the provider's defaults leave all three open).

  tags = local.tags
}

resource "azurerm_storage_container" "documents" {
  name                  = "documents"
  storage_account_id    = azurerm_storage_account.documents.id
  container_access_type = "private"
}

# ---------------------------------------------------------------------------------------------------
# Azure AI Search.
# ---------------------------------------------------------------------------------------------------

resource "azurerm_search_service" "lab" {
  name                = local.search_name
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name

  # TODO (search-service-exists): the free tier supports neither private endpoints nor shared private
  # links. Choose "basic" (or a standard tier); the tier cannot be changed in place later.
  sku = "free"

  # TODO (search-public-network-disabled): turn public network access off (and add no allowed_ips).

  # TODO (search-local-auth-disabled): turn API keys off so only Entra ID tokens and RBAC work. Leave
  # authentication_failure_mode unset: it only applies while keys are still accepted.

  # TODO (search-semantic-ranker): enable the semantic ranker on its free plan.

  # TODO (search-managed-identity): give the service a system-assigned identity; the indexer and the
  # vectorizer use it to reach Storage and OpenAI without keys.

  # TODO (search-cmk-enforced): optional (advisory) - enforce customer-managed keys. It needs a Key
  # Vault key with purge protection for every index, so it is a stretch goal worth 0 points.

  tags = local.tags
}

# TODO (search-private-endpoint-approved): create an azurerm_private_endpoint in
# azurerm_subnet.private_endpoints whose private_service_connection points at the search service with
# subresource_names = ["searchService"] (automatic approval: is_manual_connection = false).

# TODO (search-private-dns): create the private DNS zone privatelink.search.windows.net, link it to
# azurerm_virtual_network.lab (registration off), and give the private endpoint a private_dns_zone_group
# with that zone, so Azure writes the A record <search name> -> the endpoint's IP for you.

# TODO (search-spl-openai-approved): create an azurerm_search_shared_private_link_service from the search
# service to azurerm_cognitive_account.openai with subresource_name = "openai_account" and a
# request_message. It creates a *pending* private-endpoint connection on the OpenAI account; approve it:
# azurerm has no resource for that, so either read the account's connections with a data
# "azapi_resource_list" (type Microsoft.CognitiveServices/accounts/privateEndpointConnections@2024-10-01)
# and set privateLinkServiceConnectionState.status = "Approved" with an azapi_update_resource, or run
#   az network private-endpoint-connection approve --id <connection id> --description "labcheck"

# TODO (search-spl-storage-approved): the same for azurerm_storage_account.documents with
# subresource_name = "blob" (connections: Microsoft.Storage/storageAccounts/privateEndpointConnections@2023-05-01).

# TODO (search-rbac-openai): grant the search service's identity "Cognitive Services OpenAI User" on the
# OpenAI account (azurerm_role_assignment, principal_type = "ServicePrincipal").

# TODO (search-rbac-storage): grant the search service's identity "Storage Blob Data Reader" on the
# storage account.

# TODO (search-diagnostics-to-law): add an azurerm_monitor_diagnostic_setting on the search service that
# sends enabled_log { category_group = "allLogs" } to azurerm_log_analytics_workspace.lab.

# TODO (search-exfiltration-blocked): optional (advisory) - set dataExfiltrationProtections = ["BlockAll"]
# on the search service with an azapi_update_resource (azurerm has no argument for it).
#
# Search Basic bills by the hour: run `terraform destroy` when you are done.
