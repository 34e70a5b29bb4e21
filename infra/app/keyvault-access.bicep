// Bring-your-own Redis: lets the function's identity read the Redis password secret that
// REDIS_PASSWORD references (@Microsoft.KeyVault(SecretUri=...), resolved with
// keyVaultReferenceIdentity). Deployed into the Key Vault's resource group.
param principalId string

@description('https://<vault>.vault.azure.net/secrets/<name>[/<version>]')
param secretUri string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var vaultName = split(split(secretUri, '/')[2], '.')[0] // host part of the URI, first label

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}
