/**
 * Redis glob patterns (`SCAN … MATCH`, ACL `~key` patterns) as Redis's matcher reads them
 * (`stringmatchlen`): one definition for the settings check of `STREAM_PATTERN` and the ACL rule
 * derived from it (src/ops/acl-keys.ts).
 */

/**
 * A glob's tokens: `\x`, a `[…]` class (a `\` escapes inside it, and `a-z` is a range even when
 * `z` is `]`), or one character. Undefined when a `[` is never closed or a lone `\` ends it:
 * Redis then reads the rest in a way nobody writes on purpose, and appending to such a glob would
 * change what its end means.
 */
export function globTokens(glob: string): string[] | undefined {
  const parsed = parseGlob(glob);
  return 'tokens' in parsed ? parsed.tokens : undefined;
}

/** What is wrong with a glob, in words for a settings message; undefined when Redis reads it as written. */
export function globProblem(glob: string): string | undefined {
  const parsed = parseGlob(glob);
  return 'problem' in parsed ? parsed.problem : undefined;
}

function parseGlob(glob: string): { tokens: string[] } | { problem: string } {
  const tokens: string[] = [];
  for (let i = 0; i < glob.length;) {
    let end = i + 1;
    if (glob[i] === '\\') {
      if (i + 1 >= glob.length) return { problem: 'it ends with a lone `\\` (write `\\\\` for a literal backslash)' };
      end = i + 2;
    } else if (glob[i] === '[') {
      let j = glob[i + 1] === '^' ? i + 2 : i + 1;
      for (;;) {
        const rest = glob.length - j;
        if (glob[j] === '\\' && rest >= 2) j += 2;
        else if (glob[j] === ']') break;
        else if (rest <= 0)
          return {
            problem: `the \`[\` at position ${i + 1} is never closed by \`]\` (write \`\\[\` for a literal bracket)`,
          };
        else j += rest >= 3 && glob[j + 1] === '-' ? 3 : 1;
      }
      end = j + 1;
    }
    tokens.push(glob.slice(i, end));
    i = end;
  }
  return { tokens };
}
