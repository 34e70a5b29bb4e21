// Bundles the CLI and the Functions app to CommonJS, minified, source maps beside them (Node reads
// a map only with --enable-source-maps, so they cost nothing at load). The Functions worker
// provides `@azure/functions-core` to `require` only, so it stays external. The library
// (src/index.ts, package.json `exports`) is built beside them with its dependencies left to the
// embedding program's node_modules.
//
// Cold start: what only some settings use is a chunk of its own (dist/chunks/), which the
// bundles `require` or `import()` only where the code asks for it, so an app without App
// Insights never reads Azure Monitor, a password login never reads @azure/identity, and a CLI
// without a terminal never reads the progress bar. A chunk holds third-party code only (or, for
// OTLP, a module that only re-exports it): our own classes exist once, in the bundle, so
// `instanceof` still holds. @opentelemetry/api keeps its state on `globalThis`, so a chunk's copy
// and the bundle's share one registration.
import { build, context } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Chunk name → what it bundles: a package, or one of our modules that only re-exports one. */
const CHUNKS = {
  'azure-monitor': '@azure/monitor-opentelemetry',
  'azure-identity': '@azure/identity',
  'cli-progress': 'cli-progress',
  'otlp-sdk': './src/cli/otlp-sdk.ts',
};

rmSync('dist', { recursive: true, force: true });
const entryPoints = { 'cli/index': 'src/cli/index.ts' };
if (existsSync('functions/index.ts')) entryPoints['functions/index'] = 'functions/index.ts';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: true,
  // Class and function names survive: `error.type` in telemetry and the error names the CLI
  // prints come from them.
  keepNames: true,
  loader: { '.lua': 'text' },
  external: ['@azure/functions-core'],
  logLevel: 'warning',
};

const chunkOf = new Map(
  Object.entries(CHUNKS).map(([name, source]) => [source.startsWith('.') ? path.resolve(source) : source, name]),
);
/** Sends an import of a chunk's package or module to the chunk file instead of bundling it. */
const lazyChunks = {
  name: 'lazy-chunks',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const key = args.path.startsWith('.')
        ? path.resolve(args.resolveDir, args.path).replace(/(\.ts)?$/, '.ts')
        : args.path;
      const name = chunkOf.get(key);
      // dist/cli/index.js and dist/functions/index.js both reach dist/chunks/ as ../chunks/.
      return name ? { path: `../chunks/${name}.js`, external: true } : undefined;
    });
  },
};

/**
 * A package chunk's entry is `module.exports = require('<package>')`: resolved as the bundle
 * resolved it before it was a chunk (the package's CommonJS build). As an entry point of its own
 * the package would resolve to its ES module build, whose `import.meta.url` is empty in CommonJS
 * output (Azure Monitor then fails to find its own files).
 */
const packageEntries = {
  name: 'package-entries',
  setup(b) {
    b.onResolve({ filter: /^package-entry:/ }, (args) => ({
      path: args.path.slice('package-entry:'.length),
      namespace: 'package-entry',
    }));
    b.onLoad({ filter: /.*/, namespace: 'package-entry' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

const bundles = { ...common, entryPoints, outdir: 'dist', plugins: [lazyChunks] };
const chunks = {
  ...common,
  // Third-party code only: names of ours to keep are not in it, and `keepNames` would add a call
  // per function and class to the largest files (Azure Monitor's load time).
  keepNames: false,
  entryPoints: Object.entries(CHUNKS).map(([out, source]) => ({
    in: source.startsWith('.') ? source : `package-entry:${source}`,
    out: `chunks/${out}`,
  })),
  outdir: 'dist',
  plugins: [packageEntries],
};
const library = {
  ...common,
  minify: false,
  keepNames: false,
  entryPoints: { 'lib/index': 'src/index.ts' },
  outdir: 'dist',
  packages: 'external',
};

// `--watch` (npm run watch): rebuild on every change, for `func start` in another terminal.
if (process.argv.includes('--watch')) {
  for (const options of [bundles, chunks]) await (await context({ ...options, logLevel: 'info' })).watch();
} else {
  await Promise.all([build(bundles), build(chunks), build(library)]);
}
