output "labcheck_resource_group" {
  description = "The resource group labcheck grades: labcheck verify azure-ai-search-rag --input resource_group=<this>."
  value       = azurerm_resource_group.lab.name
}

output "search_service_name" {
  description = "The Azure AI Search service."
  value       = azurerm_search_service.lab.name
}

output "openai_account_name" {
  description = "The Azure OpenAI account Search grounds with."
  value       = azurerm_cognitive_account.openai.name
}

output "storage_account_name" {
  description = "The documents' storage account."
  value       = azurerm_storage_account.documents.name
}
