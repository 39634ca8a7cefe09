import { posix } from 'node:path';
import type { RepoEntry, RepoReader } from '../repo-reader.js';
import { ProblemCode, type ConfigProblem } from './errors.js';
import type { LoadOptions } from './options.js';

/** A repository file the loader reads: its text, or the problem that kept it from being read. */
export interface RepoFile {
  path: string;
  text: string;
}

const YAML_FILE = /\.ya?ml$/;

/** Hidden files and folders (`.git`, `.github`, editor files) are never fleet configuration. */
function isHidden(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.'));
}

/**
 * Reads every YAML file of the repository, in path order, following symlinks that stay
 * inside it. Oversized files are refused by their listed size before a byte is read.
 */
export async function readRepoFiles(reader: RepoReader, options: LoadOptions): Promise<{ files: RepoFile[]; problems: ConfigProblem[] }> {
  const entries = [...(await reader.list())].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const files: RepoFile[] = [];
  const problems: ConfigProblem[] = [];
  for (const entry of entries) {
    if (!YAML_FILE.test(entry.path) || isHidden(entry.path)) continue;
    const resolved = await resolveEntry(reader, entry, byPath, options.maxSymlinkDepth);
    if ('problem' in resolved) {
      problems.push(resolved.problem);
      continue;
    }
    if (resolved.target.size > options.maxFileBytes) {
      problems.push(fileProblem(entry.path, ProblemCode.FileTooLarge, `${resolved.target.size} bytes`, `at most ${options.maxFileBytes} bytes`));
      continue;
    }
    const bytes = await reader.read(resolved.target.path);
    const decoded = decodeUtf8(bytes);
    if (typeof decoded !== 'string') {
      problems.push({
        code: ProblemCode.NotUtf8,
        file: entry.path,
        line: decoded.line,
        column: decoded.column,
        path: '',
        found: `byte 0x${decoded.byte.toString(16).padStart(2, '0')} at offset ${decoded.offset}`,
        expected: 'UTF-8 text',
      });
      continue;
    }
    files.push({ path: entry.path, text: decoded });
  }
  return { files, problems };
}

function fileProblem(file: string, code: ProblemCode, found: string, expected: string): ConfigProblem {
  return { code, file, line: 1, column: 1, path: '', found, expected };
}

/** Follows a chain of symlinks to a file entry, refusing any step that leaves the repository. */
async function resolveEntry(
  reader: RepoReader,
  entry: RepoEntry,
  byPath: Map<string, RepoEntry>,
  maxDepth: number,
): Promise<{ target: RepoEntry } | { problem: ConfigProblem }> {
  let current = entry;
  for (let depth = 0; current.kind === 'symlink'; depth += 1) {
    if (depth >= maxDepth) {
      return { problem: fileProblem(entry.path, ProblemCode.SymlinkBroken, `more than ${maxDepth} chained links`, 'a link that ends at a file') };
    }
    const link = new TextDecoder().decode(await reader.read(current.path));
    const joined = posix.normalize(posix.join(posix.dirname(current.path), link));
    if (posix.isAbsolute(link) || joined === '..' || joined.startsWith('../')) {
      return {
        problem: fileProblem(entry.path, ProblemCode.SymlinkOutside, `a link to ${JSON.stringify(link)}`, 'a link to a file inside the repository'),
      };
    }
    const next = byPath.get(joined);
    if (!next) {
      return { problem: fileProblem(entry.path, ProblemCode.SymlinkBroken, `a link to ${JSON.stringify(link)}, which is not a file`, 'a link to a file inside the repository') };
    }
    current = next;
  }
  return { target: current };
}

/** Decodes strict UTF-8; on failure returns where the first bad byte is. */
export function decodeUtf8(bytes: Uint8Array): string | { offset: number; byte: number; line: number; column: number } {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // A prefix that decodes in streaming mode (an incomplete trailing sequence is allowed)
    // stays decodable when shortened, so the first bad byte is found by bisection.
    let good = 0;
    let bad = bytes.length;
    while (bad - good > 1) {
      const middle = (good + bad) >>> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
        good = middle;
      } catch {
        bad = middle;
      }
    }
    // The bad sequence starts after the characters the good prefix completes.
    const completed = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, good), { stream: true });
    const offset = new TextEncoder().encode(completed).length;
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < offset; i += 1) {
      if (bytes[i] === 0x0a) {
        line += 1;
        lineStart = i + 1;
      }
    }
    const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
    return { offset, byte: bytes[offset] ?? 0, line, column };
  }
}
