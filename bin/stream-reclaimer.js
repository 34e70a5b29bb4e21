#!/usr/bin/env node
'use strict';
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
try {
  require.resolve(entry);
} catch {
  process.stderr.write('stream-reclaimer: not built yet; run `npm run build` first\n');
  process.exit(2);
}
require(entry).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
