// stream-reclaimer on Azure: Flex Consumption function app (Node 22) with a user-assigned
// identity, storage without shared keys, Log Analytics + Application Insights (Entra ingestion),
// and Azure Managed Redis (Entra only) or a Redis you bring. See docs/deploy.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource (must offer Flex Consumption and Azure Managed Redis).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group name; empty = rg-<environmentName>.')
param resourceGroupName string = ''

// ---- Redis -----------------------------------------------------------------------------------
@allowed(['managed', 'existing'])
@description('managed: create Azure Managed Redis (Entra auth, OSS cluster). existing: use your own Redis.')
param redisMode string = 'managed'

@description('Azure Managed Redis SKU (managed mode).')
param redisSku string = 'Balanced_B0'

@description('managed mode: object ID of a person who may use the database with Entra too (azd passes AZURE_PRINCIPAL_ID, the signed-in user); empty = the app only.')
param operatorPrincipalId string = ''

// Fixed when the cache is created (docs/deploy.md#clustering-policy): changing it replaces the database.
@allowed(['OSSCluster', 'EnterpriseCluster'])
@description('Azure Managed Redis clustering policy: OSSCluster (cluster protocol, REDIS_CLUSTER=true) or EnterpriseCluster (one proxied endpoint, needed for RediSearch; REDIS_CLUSTER=proxy).')
param redisClusteringPolicy string = 'OSSCluster'

@description('existing mode: host:port of your Redis.')
param existingRedisHost string = ''

@description('existing mode: Key Vault secret URI holding the Redis password (access key).')
param existingRedisPasswordSecretUri string = ''

@description('existing mode: resource group of that Key Vault; empty = grant Key Vault Secrets User yourself.')
param existingKeyVaultResourceGroupName string = ''

@description('existing mode: TLS on (REDIS_TLS).')
param existingRedisTls bool = true

@description('existing mode: Redis Cluster protocol (REDIS_CLUSTER).')
param existingRedisCluster bool = false

@description('VNet integration of the function app, private endpoints for storage and Redis.')
param enableVnet bool = false

// ---- Alerts (docs/observability.md) -----------------------------------------------------------
@description('Email that receives the alerts; empty = no action group.')
param alertEmail string = ''
@minValue(1)
@description('Group stuck: oldest pending entry idle above this many seconds for 15 minutes.')
param alertStuckIdleSec int = 600
@minValue(0)
@description('Dead letters growing: more than this many records added to the dead-letter stream within 15 minutes.')
param alertDeadLettersAdded int = 0
@minValue(1)
@description('Timer failing: at least this many failed reclaim invocations within 15 minutes.')
param alertFailedRuns int = 3

// ---- Reclaimer settings (DESIGN §2; defaults are the product defaults) -----------------------
@description('STREAM_NAME. Keep a hash tag so derived keys land in the same cluster slot.')
param streamName string = '{orders}:stream'
@description('STREAM_PATTERN: a Redis glob such as {events}:*; empty = off. Exclusive with STREAM_NAME (set streamName to empty to use it).')
param streamPattern string = ''
@description('STREAM_CONSUMER_GROUP_NAME: a group, a comma-separated list, or * for every group')
param consumerGroupName string = 'orders-workers'
@description('MONITORING_CONSUMER_NAME')
param monitoringConsumerName string = 'reclaimer'
@description('MIN_IDLE_TIME_SEC (decimals allowed)')
param minIdleTimeSec string = '60'
@description('MAX_DELIVERIES (1 to 2^53 - 1)')
@minValue(1)
@maxValue(9007199254740991)
param maxDeliveries int = 5
@description('DEAD_LETTER_STREAM; empty = <STREAM_NAME>:dlq (same hash tag)')
param deadLetterStream string = ''
@description('HASH_KEY_PREFIX; empty = <STREAM_NAME>: (same hash tag)')
param hashKeyPrefix string = ''
@description('HASH_KEY_FIELD; empty = the entry ID')
param hashKeyField string = ''
@description('BATCH_SIZE')
param batchSize int = 100
@description('CONCURRENCY')
param concurrency int = 16
@description('MAX_RUN_SEC')
param maxRunSec string = '240'
@description('RECLAIM_SCHEDULE (6-field NCRONTAB, seconds first)')
param reclaimSchedule string = '*/20 * * * * *'
@description('DEREGISTER_IDLE_SEC; empty = off')
param deregisterIdleSec string = ''
@description('DRY_RUN')
param dryRun bool = false
@allowed(['auto', 'redis6.0', 'redis6.2', 'redis7'])
@description('RECLAIM_STRATEGY')
param reclaimStrategy string = 'auto'
@description('RETRY_BACKOFF_MAX_SEC; empty = off (a fixed MIN_IDLE_TIME_SEC)')
param retryBackoffMaxSec string = ''
@allowed(['process', 'requeue', 'dead-letter-only'])
@description('RECLAIM_ACTION')
param reclaimAction string = 'process'
@description('REDIS_USERNAME (ACL user, existing mode; Entra uses the identity object ID)')
param redisUsername string = ''
@description('REDIS_TLS_CA_FILE (path inside the package; empty = public CAs)')
param redisTlsCaFile string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var managedRedis = redisMode == 'managed'
var functionAppName = 'func-reclaimer-${resourceToken}'
var resourceGroupNameValue = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
var deploymentContainerName = 'app-package-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: resourceGroupNameValue
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-reclaimer-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: enableVnet ? 'Disabled' : 'Enabled'
  }
}

module redis 'app/redis.bicep' = if (managedRedis) {
  name: 'redis'
  scope: rg
  params: {
    name: 'redis-${resourceToken}'
    location: location
    tags: tags
    skuName: redisSku
    publicNetworkAccess: enableVnet ? 'Disabled' : 'Enabled'
    principalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    clusteringPolicy: redisClusteringPolicy
  }
}

module network 'app/network.bicep' = if (enableVnet) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
    redisId: managedRedis ? redis!.outputs.id : ''
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// A conditional module's scope is validated even when the module is skipped: an empty vault
// resource group name falls back to this deployment's group, a valid scope that is never used.
module keyVaultAccess 'app/keyvault-access.bicep' = if (!managedRedis && !empty(existingKeyVaultResourceGroupName)) {
  name: 'keyVaultAccess'
  scope: resourceGroup(!empty(existingKeyVaultResourceGroupName) ? existingKeyVaultResourceGroupName : resourceGroupNameValue)
  params: {
    principalId: identity.outputs.principalId
    secretUri: existingRedisPasswordSecretUri
  }
}

// `x!` on a conditional module: ARM evaluates only the taken branch of `cond ? a : b`, so the
// output is read only when the module is deployed.
var redisConnection = {
  host: managedRedis ? '${redis!.outputs.hostName}:${redis!.outputs.port}' : existingRedisHost
  auth: managedRedis ? 'entra' : 'password'
  password: managedRedis ? '' : '@Microsoft.KeyVault(SecretUri=${existingRedisPasswordSecretUri})'
  username: redisUsername
  tls: managedRedis || existingRedisTls ? 'true' : 'false'
  tlsCaFile: redisTlsCaFile
  // The Enterprise policy's endpoint looks like one server but shards: REDIS_CLUSTER=proxy.
  cluster: managedRedis ? (redisClusteringPolicy == 'EnterpriseCluster' ? 'proxy' : 'true') : (existingRedisCluster ? 'true' : 'false')
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  // The role assignments first: the host reads storage and resolves the Key Vault reference with them.
  dependsOn: [rbac, keyVaultAccess]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'reclaimer' })
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    subnetId: enableVnet ? network!.outputs.appSubnetId : ''
    redis: redisConnection
    reclaimer: {
      streamName: streamName
      streamPattern: streamPattern
      consumerGroupName: consumerGroupName
      monitoringConsumerName: monitoringConsumerName
      minIdleTimeSec: minIdleTimeSec
      maxDeliveries: string(maxDeliveries)
      deadLetterStream: deadLetterStream
      hashKeyPrefix: hashKeyPrefix
      hashKeyField: hashKeyField
      batchSize: string(batchSize)
      concurrency: string(concurrency)
      maxRunSec: maxRunSec
      reclaimSchedule: reclaimSchedule
      deregisterIdleSec: deregisterIdleSec
      dryRun: dryRun ? 'true' : 'false'
      reclaimStrategy: reclaimStrategy
      retryBackoffMaxSec: retryBackoffMaxSec
      reclaimAction: reclaimAction
    }
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    suffix: resourceToken
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
    stuckIdleSec: alertStuckIdleSec
    deadLettersAdded: alertDeadLettersAdded
    failedRuns: alertFailedRuns
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output REDIS_MODE string = redisMode
output REDIS_HOST string = redisConnection.host
output REDIS_AUTH string = redisConnection.auth
output STREAM_NAME string = streamName
output STREAM_CONSUMER_GROUP_NAME string = consumerGroupName
