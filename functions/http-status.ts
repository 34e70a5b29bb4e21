/** The HTTP status of a failed `/api/status` call, from the error's type alone (no message matching). */
import { MissingGroupError, RedisAuthError, RedisUnavailableError } from '../src/errors';

export function statusFor(error: unknown): number {
  if (error instanceof MissingGroupError) return 404;
  // Redis unreachable or refusing us, an Entra token not to be had (EntraTokenError) included:
  // the app is fine, its dependency is not; a retry later may succeed.
  if (error instanceof RedisUnavailableError || error instanceof RedisAuthError) return 503;
  // Bad settings (SettingsError) or anything else: the app is misconfigured or broken.
  return 500;
}
