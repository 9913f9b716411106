// Parsing of JSON-valued parameters that arrive as text (GET, form posts; spec §1.2).

export type JsonText = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * Parses JSON text. Decision: text that is not JSON (SyntaxError) or nests beyond what the engine
 * can parse (RangeError) means "no value", reported to the caller; anything else is a bug and is rethrown.
 */
export function parseJsonText(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, message: 'not valid JSON' };
    if (err instanceof RangeError) return { ok: false, message: 'JSON nests too deeply to parse' };
    throw err;
  }
}
