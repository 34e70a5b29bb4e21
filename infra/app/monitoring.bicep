// Log Analytics + Application Insights. Local (instrumentation key) auth is disabled: the
// function app ingests with its managed identity (Monitoring Metrics Publisher, see rbac.bicep,
// and APPLICATIONINSIGHTS_AUTHENTICATION_STRING, see function.bicep).
param location string
param tags object
param logAnalyticsName string
param applicationInsightsName string

@description('Days of log retention.')
param retentionInDays int = 30

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  params: {
    name: logAnalyticsName
    location: location
    tags: tags
    dataRetention: retentionInDays
  }
}

module applicationInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'applicationInsights'
  params: {
    name: applicationInsightsName
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.outputs.name
output logAnalyticsWorkspaceId string = logAnalytics.outputs.resourceId
