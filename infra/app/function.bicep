// Flex Consumption (FC1) function app, Node 22, running as a user-assigned identity. The app
// settings are exactly what the code reads (SETTING_NAMES in src/settings.ts) plus the
// Functions platform's identity-based storage and Application Insights settings; the test in
// test/unit/infra checks both lists.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string

@description('Subnet for VNet integration (delegated to Microsoft.App/environments); empty = none.')
param subnetId string = ''

@description('host, auth, password, username, tls, tlsCaFile, cluster: REDIS_* values as strings.')
param redis object

@description('Reclaimer settings (DESIGN §2) as strings.')
param reclaimer object

param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // No ftpsState: Flex Consumption has no FTP and rejects the property (ARM error 51021).
      appSettings: [
        // Functions platform: identity-based host storage and telemetry ingestion.
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        // What the product reads (src/settings.ts).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'REDIS_HOST', value: redis.host }
        { name: 'REDIS_AUTH', value: redis.auth }
        { name: 'REDIS_PASSWORD', value: redis.password }
        { name: 'REDIS_USERNAME', value: redis.username }
        { name: 'REDIS_TLS', value: redis.tls }
        { name: 'REDIS_TLS_CA_FILE', value: redis.tlsCaFile }
        { name: 'REDIS_CLUSTER', value: redis.cluster }
        { name: 'STREAM_NAME', value: reclaimer.streamName }
        { name: 'STREAM_PATTERN', value: reclaimer.streamPattern }
        { name: 'STREAM_CONSUMER_GROUP_NAME', value: reclaimer.consumerGroupName }
        { name: 'MONITORING_CONSUMER_NAME', value: reclaimer.monitoringConsumerName }
        { name: 'MIN_IDLE_TIME_SEC', value: reclaimer.minIdleTimeSec }
        { name: 'MAX_DELIVERIES', value: reclaimer.maxDeliveries }
        { name: 'DEAD_LETTER_STREAM', value: reclaimer.deadLetterStream }
        { name: 'HASH_KEY_PREFIX', value: reclaimer.hashKeyPrefix }
        { name: 'HASH_KEY_FIELD', value: reclaimer.hashKeyField }
        { name: 'BATCH_SIZE', value: reclaimer.batchSize }
        { name: 'CONCURRENCY', value: reclaimer.concurrency }
        { name: 'MAX_RUN_SEC', value: reclaimer.maxRunSec }
        { name: 'RECLAIM_SCHEDULE', value: reclaimer.reclaimSchedule }
        { name: 'DEREGISTER_IDLE_SEC', value: reclaimer.deregisterIdleSec }
        { name: 'DRY_RUN', value: reclaimer.dryRun }
        { name: 'RECLAIM_STRATEGY', value: reclaimer.reclaimStrategy }
        { name: 'RETRY_BACKOFF_MAX_SEC', value: reclaimer.retryBackoffMaxSec }
        { name: 'RECLAIM_ACTION', value: reclaimer.reclaimAction }
      ]
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
