/**
 * Locating the built Functions app (package.json `main`) and handing it its app settings, for the
 * commands that run it in-process through the worker stand-in (`demo`, `watch`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors';
import { SETTING_NAMES } from '../config/settings';

/** The built `main` file of this package, found by walking up from this module to package.json. */
export function functionsMainFile(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; main?: string };
      if (pkg.name === 'stream-reclaimer' && pkg.main) {
        const main = join(dir, pkg.main);
        if (!existsSync(main))
          throw new UsageError(`the Functions app is not built (${main} is missing); run \`npm run build\` first`);
        return main;
      }
    }
    if (dirname(dir) === dir) throw new UsageError('cannot find the stream-reclaimer package.json above ' + from);
  }
}

/**
 * The worker reads its settings from the process environment, as the host provides them: every
 * setting is written (a missing one as empty = its default). Write-only; this process then runs
 * the app, like a worker process the host started with these app settings.
 */
export function provideAppSettings(values: Readonly<Record<string, string | undefined>>): void {
  for (const name of SETTING_NAMES) process.env[name] = values[name] ?? '';
}
