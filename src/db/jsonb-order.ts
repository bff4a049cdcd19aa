const ASCII = /^[\x00-\x7f]*$/;

/** ASCII keys (nearly all): their length is their byte length, and code unit order is byte order. */
const asciiKeyOrder = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** jsonb's key order: shorter keys first, then bytewise (UTF-8); what jsonb_object_agg hands back. */
export function jsonbKeyOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return asciiKeyOrder(a, b);
  const la = Buffer.byteLength(a);
  const lb = Buffer.byteLength(b);
  if (la !== lb) return la - lb;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Object keys in jsonb's order, sorted in place (and returned). Nearly every key is ASCII and
 * nearly every key list short, so each key is checked once and keys already in order are left as
 * they are, instead of testing both keys of every comparison.
 */
export function sortJsonbKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  for (const k of keys) if (!ASCII.test(k)) return keys.sort(jsonbKeyOrder);
  let ordered = true;
  for (let i = 1; i < keys.length && ordered; i++) ordered = asciiKeyOrder(keys[i - 1], keys[i]) <= 0;
  return ordered ? keys : keys.sort(asciiKeyOrder);
}

