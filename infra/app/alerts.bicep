// Day-one alerts on the telemetry the app already sends to Application Insights (docs/observability.md):
// a consumer group stuck, dead letters growing, the timer function failing. Log alert rules, because
// the reclaimer's OpenTelemetry metrics land in `customMetrics` (not in Azure Monitor platform
// metrics) and each invocation of the `reclaim` function is a row of `requests`. The thresholds'
// defaults are main.bicep's alert* parameters (documented in docs/deploy.md).
param location string
param tags object
param applicationInsightsId string

@description('Name suffix shared by the rules and the action group.')
param suffix string

@description('Email that receives the alerts; empty = no action group (the alerts still fire in the portal).')
param alertEmail string

@minValue(1)
@description('Group stuck: alert when reclaimer.group.oldest_pending_idle stays above this many seconds for the whole window.')
param stuckIdleSec int

@minValue(0)
@description('Dead letters growing: alert when reclaimer.dead_letter.length grew by more than this within the window.')
param deadLettersAdded int

@minValue(1)
@description('Timer failing: alert when at least this many `reclaim` invocations failed within the window.')
param failedRuns int

@description('How often each rule runs its query.')
param evaluationFrequency string = 'PT5M'

@description('Time range each query looks at.')
param windowSize string = 'PT15M'

var byGroup = [
  { name: 'stream', operator: 'Include', values: ['*'] }
  { name: 'consumerGroup', operator: 'Include', values: ['*'] }
]
var oncePerWindow = { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-reclaimer-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'reclaimer'
    enabled: true
    emailReceivers: [
      { name: 'email', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var rules = [
  {
    name: 'alert-group-stuck-${suffix}'
    displayName: 'stream-reclaimer: consumer group stuck'
    description: 'The oldest pending entry of a group stayed idle longer than ${stuckIdleSec} s for ${windowSize}: the reclaimer is not keeping up, or cannot claim (see the run summaries).'
    severity: 2
    criterion: {
      query: '''
customMetrics
| where name == "reclaimer.group.oldest_pending_idle"
| extend stream = tostring(customDimensions["messaging.destination.name"]), consumerGroup = tostring(customDimensions["messaging.consumer.group.name"])
| project timestamp, stream, consumerGroup, value
'''
      // Minimum over the window: stuck means every reading was above the threshold, not one spike.
      timeAggregation: 'Minimum'
      metricMeasureColumn: 'value'
      dimensions: byGroup
      operator: 'GreaterThan'
      threshold: stuckIdleSec
      failingPeriods: oncePerWindow
    }
  }
  {
    name: 'alert-dead-letters-growing-${suffix}'
    displayName: 'stream-reclaimer: dead letters growing'
    description: 'More than ${deadLettersAdded} records were added to a dead-letter stream within ${windowSize}: poison messages need a look (`stream-reclaimer dlq list`).'
    severity: 3
    criterion: {
      // The last reading minus the first of the window: a purge in between makes it smaller, not an alert.
      query: '''
let lengths = customMetrics
| where name == "reclaimer.dead_letter.length"
| extend stream = tostring(customDimensions["messaging.destination.name"]), consumerGroup = tostring(customDimensions["messaging.consumer.group.name"]);
lengths
| summarize arg_min(timestamp, value) by stream, consumerGroup
| project stream, consumerGroup, first = value
| join kind=inner (lengths | summarize arg_max(timestamp, value) by stream, consumerGroup) on stream, consumerGroup
| project timestamp, stream, consumerGroup, added = value - first
'''
      timeAggregation: 'Maximum'
      metricMeasureColumn: 'added'
      dimensions: byGroup
      operator: 'GreaterThan'
      threshold: deadLettersAdded
      failingPeriods: oncePerWindow
    }
  }
  {
    name: 'alert-timer-failing-${suffix}'
    displayName: 'stream-reclaimer: reclaim function failing'
    description: 'At least ${failedRuns} invocations of the reclaim function failed within ${windowSize}: bad settings, Redis unreachable or refusing the credentials (see the exceptions).'
    severity: 1
    criterion: {
      query: '''
requests
| where name == "reclaim" and success == false
| project timestamp
'''
      timeAggregation: 'Count'
      dimensions: []
      operator: 'GreaterThanOrEqual'
      threshold: failedRuns
      failingPeriods: oncePerWindow
    }
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: rule.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: evaluationFrequency
      windowSize: windowSize
      criteria: { allOf: [rule.criterion] }
      autoMitigate: true
      actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
    }
  }
]

output alertRuleNames string[] = [for (rule, i) in rules: alertRules[i].name]
