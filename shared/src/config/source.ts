import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { ProblemCode, type ConfigProblem } from './errors.js';

/** A field path inside a document: map keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** `spec.targets.regions[0]`; '' for the document itself. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

export interface Position {
  line: number;
  column: number;
}

/** One YAML document of a repository file, its plain value and where each field sits. */
export interface SourceDocument {
  file: string;
  /** The document as plain JSON-compatible data. */
  value: unknown;
  /**
   * Where `path` is written: the key of the last segment when it exists, else the closest
   * existing parent. Keys are preferred so that unknown-field errors point at the key.
   */
  locate(path: FieldPath): Position;
  /** True when `path` is written in this document. */
  has(path: FieldPath): boolean;
}

export interface ParseOptions {
  /** Largest number of alias dereferences one document may expand to. */
  maxAliasCount: number;
}

/** What to write instead, for the syntax mistakes people make most; the parser's own words say what it found. */
const YAML_FIXES: Partial<Record<string, string>> = {
  BAD_INDENT: 'the items of one mapping or list indented by the same number of spaces, and every "{" or "[" closed',
  TAB_AS_INDENT: 'spaces for indentation',
  DUPLICATE_KEY: 'each key once in a mapping',
  BLOCK_AS_IMPLICIT_KEY: 'one "key: value" per line, nested keys on their own lines under their parent (quote a value that holds ": ")',
  MULTILINE_IMPLICIT_KEY: 'a key and its ":" on one line',
  MISSING_CHAR: 'the missing character: a closing quote, ":" after a key, or "," between flow items',
  BAD_SCALAR_START: 'quotes around a value that starts with a reserved character such as @ or `',
  UNEXPECTED_TOKEN: 'valid YAML (check the indentation of this line and the one before)',
};

/** Past this many, the syntax errors of one document are counted, not listed: one mistake can cascade. */
const MAX_SYNTAX_ERRORS = 5;

/** Parses every document of one file; YAML errors become problems, never exceptions. */
export function parseYamlFile(file: string, text: string, options: ParseOptions): { documents: SourceDocument[]; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const documents: SourceDocument[] = [];
  const problems: ConfigProblem[] = [];
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
        const at = position(error.pos[0]);
        problems.push({
          code: ProblemCode.YamlSyntax,
          file,
          ...at,
          path: '',
          found: `invalid YAML: ${firstLine(error.message)}`,
          expected: YAML_FIXES[error.code] ?? 'valid YAML',
        });
      }
      if (doc.errors.length > MAX_SYNTAX_ERRORS) {
        problems.push({
          code: ProblemCode.YamlSyntax,
          file,
          ...position(doc.errors[MAX_SYNTAX_ERRORS]!.pos[0]),
          path: '',
          found: `${doc.errors.length - MAX_SYNTAX_ERRORS} more YAML errors in this document`,
          expected: 'valid YAML',
        });
      }
      continue;
    }
    // An empty document (a trailing `---`, or only comments) holds nothing to load.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: options.maxAliasCount });
    } catch (error) {
      // yaml throws a ReferenceError when alias expansion exceeds maxAliasCount.
      problems.push({
        code: ProblemCode.YamlAliasLimit,
        file,
        ...position(doc.contents.range?.[0] ?? 0),
        path: '',
        found: `aliases that expand beyond ${options.maxAliasCount} nodes`,
        expected: 'a document without alias explosions',
      });
      void error;
      continue;
    }
    documents.push(sourceDocument(file, doc, value, position));
  }
  return { documents, problems };
}

/** The parser's sentence without its position (the problem has it), starting lower-case to read on from "found". */
function firstLine(message: string): string {
  const line = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  return /^[A-Z][a-z]/.test(line) ? `${line[0]!.toLowerCase()}${line.slice(1)}` : line;
}

function sourceDocument(file: string, doc: Document, value: unknown, position: (offset: number) => Position): SourceDocument {
  const walk = (path: FieldPath): { node: Node | null; keyNode: Node | null; depth: number } => {
    let node: Node | null = doc.contents as Node | null;
    let keyNode: Node | null = null;
    let depth = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = (pair.value as Node | null) ?? null;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        keyNode = null;
        node = node.items[segment] as Node;
      } else {
        break;
      }
      depth += 1;
    }
    return { node, keyNode, depth };
  };
  const rootOffset = doc.contents?.range?.[0] ?? 0;
  return {
    file,
    value,
    locate(path) {
      const { node, keyNode, depth } = walk(path);
      const target = depth === path.length && keyNode ? keyNode : (node ?? keyNode);
      return position(target?.range?.[0] ?? rootOffset);
    },
    has(path) {
      return walk(path).depth === path.length;
    },
  };
}

/** A problem located at `path` of `document`. */
export function problemAt(
  document: SourceDocument,
  code: ProblemCode,
  path: FieldPath,
  found: string,
  expected: string,
): ConfigProblem {
  return { code, file: document.file, ...document.locate(path), path: formatPath(path), found, expected };
}
