#!/usr/bin/env node
'use strict';
const path = require('node:path');
const args = process.argv.slice(2);
// A reader that stops early (`stream-reclaimer --help | head -1`) closes the pipe: stop quietly,
// as other command-line tools do, rather than with an unhandled EPIPE.
for (const out of [process.stdout, process.stderr]) {
  out.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
// `--version` alone needs nothing but package.json: answered before the CLI bundle (commander,
// ioredis, the settings schema) is read, so a version probe costs about a bare `node`.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${require('../package.json').version}\n`);
  return;
}
const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
try {
  require.resolve(entry);
} catch {
  process.stderr.write('stream-reclaimer: not built yet; run `npm run build` first\n');
  process.exit(2);
}
// Exit once output is flushed: a command's work is done, and a timer a client library left
// armed must not keep the process (or a CI job) waiting.
require(entry)
  .main(args)
  .then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
