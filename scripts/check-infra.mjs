// npm run check:infra: compiles and lints infra/ with the real Bicep CLI, and fails on any error
// or warning. The CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64), pinned by version and
// SHA-512, into a cache folder outside the repository; nothing it writes is committed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const VERSION = '0.49.2';
const PACKAGE = 'azure.bicep.commandline.linux-x64';
// SHA-512 of the .nupkg as NuGet served it when this version was pinned: a changed file fails loudly.
const NUPKG_SHA512 = 'kBnX0iG9wd/PWdCTwFfUvm6Jemn+5L7sY7b7HQi5k+LLwdFmrbw4y5RTLFxewCFMdBqUThiOILMa7sgzklPEAQ==';
const FEED = 'https://api.nuget.org/v3-flatcontainer';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INFRA = path.join(ROOT, 'infra');
// `path(line,col) : Warning|Error CODE: message`, as the CLI prints every diagnostic.
const DIAGNOSTIC = /\) : (Warning|Error) [A-Za-z0-9-]+:/;

function fail(message) {
  console.error(`check:infra: ${message}`);
  process.exit(1);
}

/** The cached CLI, downloaded and unpacked first when it is missing. */
async function bicepCli() {
  if (process.env.BICEP_CLI) return process.env.BICEP_CLI; // another platform's own 0.49.2 build
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `the pinned Bicep CLI is the linux-x64 build; on ${process.platform}-${process.arch} set BICEP_CLI to a Bicep ${VERSION} executable`,
    );
  }
  const cacheRoot = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  const dir = path.join(cacheRoot, 'stream-reclaimer', 'bicep', VERSION);
  const exe = path.join(dir, 'bicep');
  if (existsSync(exe)) return exe;

  const url = `${FEED}/${PACKAGE}/${VERSION}/${PACKAGE}.${VERSION}.nupkg`;
  console.log(`check:infra: downloading ${url}`);
  const response = await fetch(url).catch((e) => fail(`cannot reach NuGet (${e.cause?.code ?? e.message}) for ${url}`));
  if (!response.ok) fail(`NuGet answered ${response.status} for ${url}; expected the ${PACKAGE} ${VERSION} package`);
  const nupkg = new Uint8Array(await response.arrayBuffer());
  const digest = createHash('sha512').update(nupkg).digest('base64');
  if (digest !== NUPKG_SHA512) fail(`${url} has SHA-512 ${digest}, expected ${NUPKG_SHA512}`);

  // A .nupkg is a zip; the self-contained CLI is tools/bicep.
  const entry = unzipSync(nupkg, { filter: (f) => f.name === 'tools/bicep' })['tools/bicep'];
  if (!entry) fail(`${url} has no tools/bicep`);
  mkdirSync(dir, { recursive: true });
  // Written beside the final name and renamed: a concurrent run never sees half a binary.
  const partial = `${exe}.${process.pid}.partial`;
  writeFileSync(partial, entry);
  chmodSync(partial, 0o755);
  renameSync(partial, exe);
  return exe;
}

/** Runs the CLI; returns its exit status and everything it printed. */
function run(exe, args) {
  const r = spawnSync(exe, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  if (r.error) fail(`cannot run ${exe}: ${r.error.message}`);
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Error and warning lines of one CLI run; a non-zero exit with none is reported as such. */
function problems({ status, output }, what) {
  const found = output.split('\n').filter((l) => DIAGNOSTIC.test(l));
  if (status !== 0 && found.length === 0) found.push(`${what} exited ${status}: ${output || '(no output)'}`);
  return found;
}

const exe = await bicepCli();
const version = run(exe, ['--version']);
console.log(version.output);
if (!version.output.includes(`Bicep CLI version ${VERSION} `))
  fail(`expected Bicep CLI version ${VERSION}, got: ${version.output}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'check-infra-'));
try {
  // The check is only worth something if it sees a warning: an unused parameter must be reported.
  const canary = path.join(scratch, 'canary.bicep');
  writeFileSync(canary, "param unused string = 'x'\n");
  if (problems(run(exe, ['lint', canary]), 'lint canary').length === 0)
    fail('bicep lint reported no warning for an unused parameter: the diagnostics format changed');

  const found = problems(run(exe, ['build', 'infra/main.bicep', '--outdir', scratch]), 'bicep build infra/main.bicep');
  const files = readdirSync(INFRA, { recursive: true })
    .filter((f) => f.endsWith('.bicep'))
    .sort();
  for (const file of files)
    found.push(...problems(run(exe, ['lint', path.join('infra', file)]), `bicep lint infra/${file}`));
  if (!existsSync(path.join(scratch, 'main.json')) && found.length === 0) found.push('bicep build wrote no main.json');

  const unique = [...new Set(found)];
  if (unique.length > 0) fail(`${unique.length} problem(s); expected none:\n${unique.join('\n')}`);
  console.log(`check:infra: infra/main.bicep builds, and ${files.length} files lint with no error or warning`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
