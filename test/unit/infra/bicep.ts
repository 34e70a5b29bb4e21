/**
 * Reads the Bicep templates under infra/ through the tree-sitter Bicep grammar (no Bicep
 * compiler can be installed here), and offers small queries over the syntax tree that the
 * infra tests use. Nothing here matches Bicep text with regular expressions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

export const ROOT = path.resolve(__dirname, '../../..');
export const INFRA = path.join(ROOT, 'infra');

let parser: Promise<Parser> | undefined;

/**
 * A parser for the Bicep grammar shipped as WebAssembly in the `tree-sitter-bicep` package.
 * Created once: a second `Parser.init()` would reset the runtime under a loaded language.
 */
export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const wasm = createRequire(path.join(ROOT, 'package.json')).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
    const created = new Parser();
    created.setLanguage(await Language.load(wasm));
    return created;
  })();
  return parser;
}

export async function parseBicep(source: string): Promise<Tree> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** Every `.bicep` file under infra/, as paths relative to the repository root. */
export function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.bicep'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

export interface BicepFile {
  readonly file: string;
  readonly root: Node;
}

export async function loadBicep(file: string): Promise<BicepFile> {
  const tree = await parseBicep(readFileSync(path.join(ROOT, file), 'utf8'));
  return { file, root: tree.rootNode };
}

export async function loadAllBicep(): Promise<BicepFile[]> {
  return Promise.all(bicepFiles().map(loadBicep));
}

const where = (n: Node): string => `${n.startPosition.row + 1}:${n.startPosition.column + 1}`;

/** ERROR and MISSING nodes, each as `line:column type text`. Empty means the file parsed. */
export function syntaxProblems(root: Node): string[] {
  const problems: string[] = [];
  const visit = (n: Node): void => {
    if (n.isError) problems.push(`${where(n)} ERROR ${JSON.stringify(n.text.slice(0, 40))}`);
    else if (n.isMissing) problems.push(`${where(n)} MISSING ${n.type}`);
    for (const child of n.children) if (child) visit(child);
  };
  visit(root);
  return problems;
}

const named = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');

/** The value of a plain string literal; undefined for anything else (interpolations included). */
export function stringValue(n: Node | undefined): string | undefined {
  if (!n || n.type !== 'string') return undefined;
  const parts = named(n);
  if (parts.some((p) => p.type !== 'string_content' && p.type !== 'escape_sequence')) return undefined;
  return parts.map((p) => p.text).join('');
}

/** Key of an `object_property` (an identifier or a quoted key). */
export function propertyKey(prop: Node): string {
  const key = named(prop)[0];
  if (!key) return '';
  return key.type === 'string' ? (stringValue(key) ?? key.text) : key.text;
}

/** The value expression of `key` in an object node, when present. */
export function property(obj: Node | undefined, key: string): Node | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  const prop = named(obj).find((p) => p.type === 'object_property' && propertyKey(p) === key);
  return prop ? named(prop).at(-1) : undefined;
}

/** Follows a path of keys through nested object literals. */
export function propertyPath(obj: Node | undefined, ...keys: string[]): Node | undefined {
  return keys.reduce<Node | undefined>((n, k) => property(n, k), obj);
}

export function descendants(root: Node, type: string): Node[] {
  return root.descendantsOfType(type).filter((n): n is Node => n !== null);
}

export interface Declaration {
  readonly name: string;
  readonly node: Node;
}

export interface Resource extends Declaration {
  /** `Microsoft.X/y@version` */
  readonly type: string;
  readonly existing: boolean;
  /** The resource body object (inside `if (...)` or a `for` loop when there is one). */
  readonly body: Node | undefined;
}

function bodyOf(n: Node | undefined): Node | undefined {
  if (!n) return undefined;
  if (n.type === 'object') return n;
  if (n.type === 'for_statement') return bodyOf(n.childForFieldName('body') ?? undefined);
  if (n.type === 'if_statement') return bodyOf(named(n).at(-1));
  return undefined;
}

export function resources(root: Node): Resource[] {
  return named(root)
    .filter((n) => n.type === 'resource_declaration')
    .map((node) => {
      const parts = named(node);
      return {
        name: parts[0]?.text ?? '',
        type: stringValue(parts[1]) ?? '',
        existing: node.children.some((c) => c?.type === 'existing'),
        body: bodyOf(parts.at(-1)),
        node,
      };
    });
}

export interface Module extends Declaration {
  /** The module path: a file relative to the declaring one. */
  readonly path: string;
  /** The module body object (inside `if (...)` when there is one). */
  readonly body: Node | undefined;
  /** The condition of `= if (...)`, when there is one. */
  readonly condition: Node | undefined;
}

export function modules(root: Node): Module[] {
  return named(root)
    .filter((n) => n.type === 'module_declaration')
    .map((node) => {
      const parts = named(node);
      const value = parts.at(-1);
      return {
        name: parts[0]?.text ?? '',
        path: stringValue(parts[1]) ?? '',
        body: bodyOf(value),
        condition: value?.type === 'if_statement' ? named(value)[0] : undefined,
        node,
      };
    });
}

export const resourcesOfType = (root: Node, type: string): Resource[] =>
  resources(root).filter((r) => r.type.toLowerCase().startsWith(`${type.toLowerCase()}@`));

export interface Parameter extends Declaration {
  readonly hasDefault: boolean;
  readonly defaultValue: Node | undefined;
}

export function parameters(root: Node): Parameter[] {
  return named(root)
    .filter((n) => n.type === 'parameter_declaration')
    .map((node) => {
      const hasDefault = node.children.some((c) => c?.type === '=');
      return { name: named(node)[0]?.text ?? '', node, hasDefault, defaultValue: hasDefault ? named(node).at(-1) : undefined };
    });
}

export interface Output extends Declaration {
  readonly value: Node | undefined;
}

export function outputs(root: Node): Output[] {
  return named(root)
    .filter((n) => n.type === 'output_declaration')
    .map((node) => ({ name: named(node)[0]?.text ?? '', node, value: named(node).at(-1) }));
}

export function variable(root: Node, name: string): Node | undefined {
  const decl = named(root).find((n) => n.type === 'variable_declaration' && named(n)[0]?.text === name);
  return decl ? named(decl).at(-1) : undefined;
}

/**
 * Names of the app settings written as `appSettings: [ { name: 'X', value: … }, … ]`
 * anywhere in the file (duplicates kept, so a test can reject them).
 */
export function appSettingNames(root: Node): string[] {
  return descendants(root, 'object_property')
    .filter((p) => propertyKey(p) === 'appSettings')
    .flatMap((p) => {
      const list = named(p).at(-1);
      if (!list || list.type !== 'array') throw new Error(`appSettings at ${where(p)} is not an array literal`);
      return named(list).map((item) => {
        const name = stringValue(property(item, 'name'));
        if (name === undefined) throw new Error(`app setting at ${where(item)} has no literal name`);
        return name;
      });
    });
}

/** Calls of the function `fn` (also as a member: `x.fn(...)`) anywhere inside `n`, `n` included. */
export function calls(n: Node, fn: string): Node[] {
  const all = new Map<number, Node>([n, ...descendants(n, 'call_expression')].map((c) => [c.id, c]));
  return [...all.values()].filter((c) => {
    const callee = c.type === 'call_expression' ? c.childForFieldName('function')?.text : undefined;
    return callee === fn || callee?.endsWith(`.${fn}`) === true;
  });
}
