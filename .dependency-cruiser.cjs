/**
 * The one-way dependency rule of src/ (docs/design.md, README "Layout"), checked in CI by
 * `npm run check:deps`. Layers, lowest first; each imports only from layers below it:
 *
 *   errors.ts                 imports nothing of ours
 *   config/                   errors
 *   redis/                    config, errors (and the telemetry/logger.ts interface)
 *   telemetry/                redis, config, errors (and reclaim/counts.ts, a leaf of shared types)
 *   reclaim/                  telemetry, redis, config, errors
 *   ops/                      reclaim, telemetry, redis, config, errors
 *   cli/, local/, index.ts    anything in src/
 *   functions/                anything in src/
 *
 * Type-only imports count (tsPreCompilationDeps): a cycle of types is still a cycle to a reader.
 */
const SRC = '^src/';
const layer = (name) => `^src/${name}/`;

/** A rule: modules matching `from` may import from src/ only what matches `allowed`. */
const only = (name, from, allowed) => ({
  name,
  severity: 'error',
  from: { path: from },
  to: { path: SRC, pathNot: allowed },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Shared types go to leaf modules.',
      from: {},
      to: { circular: true },
    },
    only('errors-is-a-leaf', '^src/errors\\.ts$', '^$'),
    only('logger-is-a-leaf', '^src/telemetry/logger\\.ts$', '^$'),
    // Telemetry reads the run's counts; the module holding them may reach only below telemetry.
    only('counts-stays-low', '^src/reclaim/counts\\.ts$', '^src/redis/(scripts|client|dead-letter)\\.ts$'),
    only('config', layer('config'), `${layer('config')}|^src/errors\\.ts$`),
    only('redis', layer('redis'), `${layer('redis')}|${layer('config')}|^src/errors\\.ts$|^src/telemetry/logger\\.ts$`),
    only(
      'telemetry',
      layer('telemetry'),
      `${layer('telemetry')}|${layer('redis')}|${layer('config')}|^src/errors\\.ts$|^src/reclaim/counts\\.ts$`,
    ),
    only(
      'reclaim',
      layer('reclaim'),
      `${layer('reclaim')}|${layer('telemetry')}|${layer('redis')}|${layer('config')}|^src/errors\\.ts$`,
    ),
    only(
      'ops',
      layer('ops'),
      `${layer('ops')}|${layer('reclaim')}|${layer('telemetry')}|${layer('redis')}|${layer('config')}|^src/errors\\.ts$`,
    ),
    {
      name: 'src-not-above-itself',
      comment: 'The product never imports its tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^(src|functions)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'src-not-above-its-adapters',
      severity: 'error',
      from: { path: SRC },
      to: { path: '^functions/' },
    },
    {
      name: 'functions-are-adapters',
      comment: 'functions/ adapts src/ to Azure Functions; nothing else imports it (tests may).',
      severity: 'error',
      from: { path: '^(src|bench|scripts)/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // .lua files are bundled as text: leaves, like any other module.
    enhancedResolveOptions: { extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.lua', '.json'] },
  },
};
