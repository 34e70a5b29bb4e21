// npm run package: builds, then writes dist/deploy.zip, the one artifact azd deploys (azure.yaml
// `dist`). It holds exactly what the Functions host and the Node worker read: host.json, a
// package.json whose `main` names the bundle, the bundle, and every chunk it may load
// (dist/chunks/: Azure Monitor, @azure/identity, ..., required only when the settings use them).
// esbuild inlines every dependency (the .lua scripts as text), and the worker provides
// `@azure/functions-core`, so nothing is installed or built on Azure. No sources, tests,
// settings, node_modules or source maps.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ZIP = path.join(ROOT, 'dist', 'deploy.zip');
// A fixed timestamp: the same build gives the same zip, byte for byte. Unix entries, mode 0644.
const ENTRY = { mtime: new Date('2000-01-01T00:00:00Z'), os: 3, attrs: 0o100644 * 0x10000 };

const read = (file) => readFileSync(path.join(ROOT, file));

execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });

const pkg = JSON.parse(read('package.json').toString());
if (!existsSync(path.join(ROOT, pkg.main))) {
  console.error(`package: ${pkg.main} (package.json main) was not built; expected scripts/build.mjs to write it`);
  process.exit(1);
}
// Only what the worker reads (`main`, `type`) and what identifies the app; no dependencies, so
// nothing suggests an install to the platform.
const manifest = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  license: pkg.license,
  private: true,
  type: pkg.type,
  main: pkg.main,
  engines: pkg.engines,
};

const files = {
  'host.json': read('host.json'),
  'package.json': Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
  [pkg.main]: read(pkg.main),
};
// Sorted, so the zip's order (and bytes) never depend on the file system's listing order.
for (const chunk of readdirSync(path.join(ROOT, 'dist', 'chunks'))
  .filter((f) => f.endsWith('.js'))
  .sort()) {
  files[`dist/chunks/${chunk}`] = read(`dist/chunks/${chunk}`);
}
const zip = zipSync(
  Object.fromEntries(Object.entries(files).map(([name, data]) => [name, [new Uint8Array(data), ENTRY]])),
  { level: 9 },
);
writeFileSync(ZIP, zip);
console.log(
  `package: ${path.relative(ROOT, ZIP)} (${(zip.length / 1024 / 1024).toFixed(1)} MiB): ${Object.keys(files).join(', ')}`,
);
