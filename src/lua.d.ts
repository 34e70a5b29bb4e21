// Lua scripts are bundled as text (esbuild `text` loader; a vitest plugin in tests).
declare module '*.lua' {
  const source: string;
  export default source;
}
