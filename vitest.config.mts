import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // The bundle loads .lua files as text (esbuild `text` loader); tests do the same.
      name: 'lua-as-text',
      transform(code: string, id: string) {
        return id.endsWith('.lua') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/helpers/global-build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each start their own redis-server; two cores, so two at a time.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/count-reporter.ts'],
  },
});
