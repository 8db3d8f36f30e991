/**
 * Whether JSON text nests deeper than `cap` (arrays and objects), by one pass over its bytes that
 * stops as soon as it is. Iterative on purpose: it runs before any recursive parse, which a few
 * thousand levels would take past the stack. Brackets inside strings do not count (a UTF-8
 * multi-byte character never contains an ASCII byte, so bytes are as good as characters here).
 * Text that is not JSON gets some answer; the parser that follows judges it.
 */
export function jsonNestsDeeperThan(raw: Uint8Array, cap: number): boolean {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > cap) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}
