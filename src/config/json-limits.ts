// Limits on JSON documents secure-aml reads from disk (config and state files), checked on the text
// before JSON.parse, without recursion: a file nested thousands of levels deep would otherwise
// overflow the stack of the code that walks it, and end in a stack trace instead of exit 2.

/**
 * The deepest nesting of objects and arrays in a JSON text (strings and escapes skipped). Stops
 * counting at `stopAt` (enough to know the document is too deep).
 */
export function jsonNestingDepth(text: string, stopAt = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest >= stopAt) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return deepest;
}

/** Why a JSON text is refused before parsing (too large, too deeply nested), or undefined. */
export function jsonLimitProblem(text: string, limits: { maxBytes: number; maxDepth: number }): string | undefined {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) return `it is ${bytes} bytes, more than the ${limits.maxBytes} bytes such a file can need`;
  const depth = jsonNestingDepth(text, limits.maxDepth + 1);
  if (depth > limits.maxDepth) return `it is nested more than ${limits.maxDepth} levels deep (objects and arrays within each other), deeper than such a file ever is`;
  return undefined;
}
