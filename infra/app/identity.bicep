// The function app's only credential: a user-assigned managed identity (storage, telemetry,
// Redis, Key Vault). Declared here rather than through a registry module: no registry is
// reachable to restore one, and this is all the template needs of it.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
