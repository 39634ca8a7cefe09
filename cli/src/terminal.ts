/**
 * Text from the hub (cluster names, regions, labels, messages from agents) shown in a
 * terminal. Control characters are written as escapes (`\x1b`, `\n`), so a value cannot move
 * the cursor, recolour or clear the screen, or forge a table row.
 */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string): string {
  return text.replace(CONTROL, (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Lines for a terminal, each made printable, joined, with a final newline. */
export function printableLines(lines: readonly string[]): string {
  return `${lines.map(printable).join('\n')}\n`;
}
