// Optional (enableVnet): a VNet whose 'app' subnet hosts the Flex Consumption VNet integration
// and whose 'endpoints' subnet holds private endpoints for storage (blob, queue, table) and
// Azure Managed Redis, each with its private DNS zone linked to the VNet.
param name string
param location string
param tags object
param storageAccountId string

@description('Azure Managed Redis cluster ID; empty = no Redis endpoint (bring-your-own Redis).')
param redisId string = ''

param addressPrefix string = '10.40.0.0/16'
param appSubnetPrefix string = '10.40.1.0/24'
param endpointSubnetPrefix string = '10.40.2.0/24'

var storageEndpoints = [
  { groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}', target: storageAccountId }
  { groupId: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}', target: storageAccountId }
  { groupId: 'table', zone: 'privatelink.table.${environment().suffixes.storage}', target: storageAccountId }
]
var redisEndpoints = empty(redisId) ? [] : [
  { groupId: 'redisEnterprise', zone: 'privatelink.redis.azure.net', target: redisId }
]
var endpoints = concat(storageEndpoints, redisEndpoints)

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for ep in endpoints: {
    name: ep.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (ep, i) in endpoints: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for (ep, i) in endpoints: {
    name: 'pe-${ep.groupId}-${uniqueString(ep.target)}'
    location: location
    tags: tags
    properties: {
      subnet: { id: vnet.properties.subnets[1].id }
      privateLinkServiceConnections: [
        {
          name: ep.groupId
          properties: {
            privateLinkServiceId: ep.target
            groupIds: [ep.groupId]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (ep, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(ep.zone, '.', '-')
          properties: { privateDnsZoneId: zones[i].id }
        }
      ]
    }
  }
]

output vnetId string = vnet.id
output appSubnetId string = vnet.properties.subnets[0].id
