// Azure Managed Redis (Microsoft.Cache/redisEnterprise): TLS only, TLS 1.2 minimum, the chosen
// clustering policy (OSS by default), access keys disabled. The function's identity gets the built-in 'default' access
// policy, so it signs in with an Entra token (username = the identity's object ID).
param name string
param location string
param tags object

@description('Azure Managed Redis SKU, e.g. Balanced_B0, Balanced_B1, MemoryOptimized_M10.')
param skuName string = 'Balanced_B0'

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

@description('Object (principal) ID of the managed identity that may use the database.')
param principalId string

@description('Object ID of a person who may use the database too (with an Entra token, e.g. redis-cli); empty = the app only.')
param operatorPrincipalId string = ''

@allowed(['OSSCluster', 'EnterpriseCluster'])
@description('OSSCluster: the cluster protocol; EnterpriseCluster: one proxied endpoint (RediSearch needs it). Fixed at creation.')
param clusteringPolicy string = 'OSSCluster'

@description('Database port (Azure Managed Redis uses 10000).')
param port int = 10000

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: skuName }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Enabled'
    publicNetworkAccess: publicNetworkAccess
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    port: port
    clientProtocol: 'Encrypted'
    clusteringPolicy: clusteringPolicy
    // Streams and pending entries must never be evicted.
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Disabled'
    modules: []
  }
}

// The name allows letters and digits only: a guid without its dashes. One assignment at a time:
// the service rejects concurrent changes to a database's access policy assignments.
@batchSize(1)
resource accessPolicyAssignments 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = [
  for objectId in concat([principalId], empty(operatorPrincipalId) ? [] : [operatorPrincipalId]): {
    parent: database
    name: take(replace(guid(database.id, objectId, 'default'), '-', ''), 60)
    properties: {
      accessPolicyName: 'default'
      user: {
        objectId: objectId
      }
    }
  }
]

output id string = cluster.id
output name string = cluster.name
output hostName string = cluster.properties.hostName
output port int = port
