/**
 * Test doubles for Entra auth: unsigned JWT-shaped tokens, a credential that hands out a
 * scripted sequence of tokens or failures, a manual clock with timers, and a recording logger.
 */
import type { AccessToken } from '@azure/identity';
import type { LogFields, Logger } from '../../src/telemetry/logger';

/** `header.payload.sig`, base64url, unsigned: enough for the client, which never verifies. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

export class ManualClock {
  time = 1_700_000_000_000;
  readonly timers: { fn: () => void; ms: number; at: number; cleared: boolean }[] = [];
  readonly now = (): number => this.time;
  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { fn, ms, at: this.time + ms, cleared: false };
    this.timers.push(timer);
    return timer;
  };
  readonly clearTimeout = (handle: unknown): void => {
    (handle as { cleared: boolean }).cleared = true;
  };
  /** Timers scheduled and neither fired nor cleared. */
  pending(): { ms: number; at: number }[] {
    return this.timers.filter((t) => !t.cleared);
  }
  /** Jumps to the only pending timer and runs it. */
  fire(): number {
    const pending = this.timers.filter((t) => !t.cleared);
    if (pending.length !== 1) throw new Error(`expected exactly one pending timer, found ${pending.length}`);
    const timer = pending[0]!;
    timer.cleared = true;
    this.time = timer.at;
    timer.fn();
    return timer.ms;
  }
}

/** Returns the scripted results in order (an Error is thrown); counts calls. */
export class ScriptedCredential {
  calls = 0;
  readonly scopes: (string | string[])[] = [];
  constructor(private readonly script: (AccessToken | Error)[]) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.calls += 1;
    this.scopes.push(scopes);
    const next = this.script.shift();
    if (!next) throw new Error('ScriptedCredential: script exhausted');
    if (next instanceof Error) throw next;
    return next;
  }
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields?: LogFields }[] = [];
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
  /** Everything logged, as one string, for "the token is nowhere" checks. */
  text(): string {
    return JSON.stringify(this.lines);
  }
}

/** Resolves once `check` passes, polling the event loop (refreshes run asynchronously). */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
