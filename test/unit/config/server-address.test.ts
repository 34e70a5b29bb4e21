/** `REDIS_HOST` parsed on its own (src/config/server-address.ts); loadSettings' use of it is in settings.test.ts. */
import { describe, expect, it } from 'vitest';
import { describeServer, parseHost } from '../../../src/config/server-address';

const parse = (value: string | undefined): { result: ReturnType<typeof parseHost>; problems: string[] } => {
  const problems: string[] = [];
  return { result: parseHost(value, { push: (p) => void problems.push(p) }), problems };
};

describe('parseHost', () => {
  it('reads host alone, host:port, [ipv6]:port and an absolute unix socket', () => {
    expect(parse('redis')).toEqual({ result: { host: 'redis', port: 6379 }, problems: [] });
    expect(parse('cache.example:6380')).toEqual({ result: { host: 'cache.example', port: 6380 }, problems: [] });
    expect(parse('[::1]:7000')).toEqual({ result: { host: '::1', port: 7000 }, problems: [] });
    expect(parse('/run/redis.sock')).toEqual({ result: { host: '', port: 0, path: '/run/redis.sock' }, problems: [] });
    expect(parse(undefined)).toEqual({ result: { host: '', port: 6379 }, problems: [] });
  });

  it('reports a port out of range or a malformed host, naming the value and the forms', () => {
    for (const bad of ['a:0', 'a:99999', 'a b', 'host:port', 'relative/path']) {
      const { result, problems } = parse(bad);
      expect(result).toEqual({ host: '', port: 6379 });
      expect(problems).toEqual([
        `Expected \`REDIS_HOST\` to be \`host:port\`, \`host\` or an absolute unix-socket path, got \`${bad}\``,
      ]);
    }
  });
});

describe('describeServer', () => {
  it('names the socket path when there is one, else host:port', () => {
    expect(describeServer({ redisHost: 'cache', redisPort: 6380, redisPath: undefined })).toBe('cache:6380');
    expect(describeServer({ redisHost: '', redisPort: 0, redisPath: '/run/redis.sock' })).toBe('/run/redis.sock');
  });
});
