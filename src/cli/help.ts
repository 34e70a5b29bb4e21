/** The text `--help` adds: exit codes, the environment variables read, examples. */
import { SETTING_NAMES } from '../config/settings';
import { DURATION_EXAMPLES } from '../config/duration';

const wrap = (words: readonly string[], indent: string, width = 78): string => {
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    if (line.length + word.length + 1 > width && line.trim()) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  return [...lines, line.trimEnd()].join('\n');
};

export const HELP_AFTER = `
Environment (settings; README "Settings" documents each):
  REDIS_HOST (host:port or a unix socket path), STREAM_NAME and STREAM_CONSUMER_GROUP_NAME are
  required (dlq: the group is an optional filter); TLS is on unless REDIS_TLS=false.
${wrap(SETTING_NAMES, '  ')}
  OTEL_EXPORTER_OTLP_ENDPOINT (run: OTLP/HTTP export)
  Booleans: true/false, 1/0, yes/no. Durations (--older-than): ${DURATION_EXAMPLES}.

Exit codes:
  0  done
  1  Redis or runtime failure (unreachable, refused credentials, missing stream or group)
  2  usage or settings error (nothing was sent to Redis)
  130/143  interrupted by Ctrl-C / SIGTERM (run)

Examples:
  REDIS_HOST=localhost:6379 REDIS_TLS=false STREAM_NAME=orders STREAM_CONSUMER_GROUP_NAME=workers \\
    stream-reclaimer run --dry-run
  stream-reclaimer stats --json
  stream-reclaimer dlq list -g workers --reason max-deliveries
  stream-reclaimer dlq replay --all -g workers --dry-run
  stream-reclaimer dlq purge --older-than 7d -y
  stream-reclaimer watch --json | tee runs.jsonl
`;

export const SUBCOMMAND_HELP_AFTER = `
Exit codes: 0 done, 1 Redis or runtime failure, 2 usage or settings error.
Settings come from the environment (REDIS_HOST, STREAM_NAME, ...): see \`stream-reclaimer --help\`.
`;
