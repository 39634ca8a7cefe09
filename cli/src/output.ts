import { Option } from 'commander';
import { stringify } from 'yaml';

/** The machine-readable forms every command that prints data offers beside its own text. */
export const DATA_FORMATS = ['json', 'yaml'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** `-o, --output`: the command's own text forms (the first is the default), then json and yaml. */
export function outputOption(text: readonly string[], description: string): Option {
  return new Option('-o, --output <format>', `${description}; json or yaml for scripts`).choices([...text, ...DATA_FORMATS]).default(text[0]);
}

export function isDataFormat(format: unknown): format is DataFormat {
  return (DATA_FORMATS as readonly unknown[]).includes(format);
}

/** A value as JSON (indented) or YAML, ending in a newline. */
export function formatData(format: DataFormat, value: unknown): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}
