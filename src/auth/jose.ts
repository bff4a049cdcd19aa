/**
 * `jose` ships only as ES modules. This CommonJS build loads it with a dynamic `import()` (kept
 * as-is by the compiler), once, and shares the module with every caller.
 */
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

let loading: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}
