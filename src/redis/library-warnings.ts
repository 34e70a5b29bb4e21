/** The client library's own console warnings while it connects, turned into our notes. */

/** Where notes about the connection go (a password the server does not need); the client library's own are replaced. */
export type ConnectionWarn = (message: string) => void;

/** ioredis prints `[WARN] ... does not require a password` with console.warn while it connects. */
export function replaceLibraryWarnings(warn: ConnectionWarn): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (/does not require a password/.test(String(args[0]))) {
      warn(
        'the server accepts connections without a password, but REDIS_PASSWORD is set: it was not needed (unset it, or check REDIS_HOST)',
      );
    } else original(...args);
  };
  return () => {
    console.warn = original;
  };
}
