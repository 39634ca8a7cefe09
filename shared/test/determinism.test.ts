import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, loadFleet, renderFleet } from '../src/index.js';
import { EXAMPLE_FLEET_DIR } from './support/example-fleet.js';
import { MemoryRepo } from './support/memory-repo.js';

/** The documents of every YAML file of the example fleet, as separate texts. */
let files: { path: string; documents: string[] }[];
let nonYaml: Record<string, string>;

async function renderedBytes(repo: MemoryRepo): Promise<string> {
  const { results, problems } = renderFleet(await loadFleet(repo));
  return JSON.stringify({ results: [...results], problems });
}

function repoOf(order: { path: string; documents: string[] }[]): MemoryRepo {
  const contents: Record<string, string> = { ...nonYaml };
  for (const file of order) contents[file.path] = file.documents.join('---\n');
  return new MemoryRepo(contents, [...order.map((file) => file.path), ...Object.keys(nonYaml)]);
}

beforeAll(async () => {
  const reader = new FsRepoReader(EXAMPLE_FLEET_DIR);
  files = [];
  nonYaml = {};
  for (const entry of await reader.list()) {
    const text = new TextDecoder().decode(await reader.read(entry.path));
    if (!entry.path.endsWith('.yaml')) nonYaml[entry.path] = text;
    else files.push({ path: entry.path, documents: parseAllDocuments(text).map((doc) => String(doc).replace(/^---\n/, '')) });
  }
});

describe('when the same repository is read in another order', () => {
  it('renders byte-identical output whatever the file and document order', async () => {
    const reference = await renderedBytes(repoOf(files));
    const shuffledRepo = fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }).chain((order) =>
      fc.tuple(...order.map((file) => fc.shuffledSubarray(file.documents, { minLength: file.documents.length, maxLength: file.documents.length }))).map((documents) =>
        order.map((file, index) => ({ path: file.path, documents: documents[index]! })),
      ),
    );
    await fc.assert(
      fc.asyncProperty(shuffledRepo, async (order) => {
        expect(await renderedBytes(repoOf(order))).toBe(reference);
      }),
      { numRuns: 25 },
    );
  });

  it('renders the same output twice from one loaded fleet', async () => {
    const fleet = await loadFleet(repoOf(files));
    expect(JSON.stringify([...renderFleet(fleet).results])).toBe(JSON.stringify([...renderFleet(fleet).results]));
  });
});
