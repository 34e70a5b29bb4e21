/**
 * The scripts' include directive, as BullMQ's: a line `--- @include "<name>"` is replaced by the
 * named file of src/redis/scripts/lib/. Redis takes a script as one text and has no include of
 * its own, so what several scripts share (the record layout, the fence, the write guards, the
 * sliced calls) lives once in lib/ and is put in place before the script is registered.
 *
 * A lib may include another; each lib goes into a script once, where it is first included (a
 * second include of it is dropped), so a lib's locals are never declared twice.
 */
export class LuaIncludeError extends Error {
  override name = 'LuaIncludeError';
}

const DIRECTIVE = /^--- @include "([^"]*)"[ \t]*$/gm;

/** `source` with every include directive replaced; `script` names it in errors. */
export function resolveIncludes(source: string, libs: Readonly<Record<string, string>>, script: string): string {
  const included = new Set<string>();
  const expand = (text: string, chain: readonly string[]): string =>
    text.replace(DIRECTIVE, (_line, name: string) => {
      if (chain.includes(name))
        throw new LuaIncludeError(`Lua include cycle in ${script}: ${[...chain, name].join(' -> ')}`);
      const lib = libs[name];
      if (lib === undefined) {
        const known = Object.keys(libs).join(', ');
        throw new LuaIncludeError(`${chain.at(-1) ?? script} includes unknown Lua lib "${name}" (known: ${known})`);
      }
      if (included.has(name)) return `-- (lib/${name} already included above)`;
      included.add(name);
      return expand(lib, [...chain, name]);
    });
  return expand(source, []);
}
