output "labcheck_resource_group" {
  description = "Pass to labcheck: --input resource_group=<this>."
  value       = azurerm_resource_group.lab.name
}

output "openai_account" {
  description = "The Azure OpenAI account (--input openai_account=<this> if labcheck finds several)."
  value       = azurerm_cognitive_account.openai.name
}

output "openai_endpoint" {
  description = "The account's endpoint; it resolves to the private endpoint from inside the VNet only."
  value       = azurerm_cognitive_account.openai.endpoint
}
