/**
 * Text Postgres can hold. A `text` value cannot contain NUL (0x00), and a UTF-16 surrogate
 * without its pair is not Unicode at all: Node would send it as U+FFFD (so a lookup would
 * silently ask for something else) and `jsonb` refuses it outright. Such a value is the caller's
 * mistake and is refused as one, before any query.
 */
const UNSTORABLE = /\0|\p{Cs}/u;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'gu');

/** `s` with what Postgres cannot hold replaced by U+FFFD: for text kept as a record (the access log), not looked up. */
export const storableText = (s: string): string => s.replace(UNSTORABLE_ALL, '\uFFFD');

/** Why `s` cannot be stored or looked up as text; null when it can. */
export function unstorableText(s: string): string | null {
  const m = UNSTORABLE.exec(s);
  if (!m) return null;
  return m[0] === '\0'
    ? 'contains a NUL character (\\u0000), which no stored text can hold'
    : `contains an unpaired UTF-16 surrogate (\\u${m[0].charCodeAt(0).toString(16)}), which is not Unicode text`;
}
