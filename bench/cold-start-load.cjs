// Loads a Functions bundle as the worker does (`@azure/functions-core` provided to `require`
// only) and prints, as one JSON line, how long the `require` took and the process's peak RSS.
// Then exits: Azure Monitor keeps export timers armed, and nothing may be sent from a benchmark.
'use strict';
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const core = {
  registerHook: () => ({ dispose() {} }),
  registerFunction: () => ({ dispose() {} }),
  setProgrammingModel() {},
  getProgrammingModel() {},
  log() {},
};
const original = Module.prototype.require;
Module.prototype.require = function patched(id) {
  return id === '@azure/functions-core' ? core : original.call(this, id);
};
const started = performance.now();
require(process.argv[2]);
const loadMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ loadMs, peakRssKB: process.resourceUsage().maxRSS })}\n`, () =>
  process.exit(0),
);
