/**
 * The production bundle: `pnpm build` (also run by `pnpm install`) writes `dist/netfleet.mjs`,
 * the whole CLI (agent, hub and shared included) as tree-shaken ES modules that plain node
 * runs: the entry plus one chunk per command, loaded when that command runs, so `--help` or
 * `validate` never load the agent's, the hub's or the Kubernetes client's code. It saves the
 * memory and start time tsx's loader and unused code cost. `bundle()` is also how the
 * benchmarks and the bundle test build what they run. It first builds the dashboard (`ui/`),
 * which the hub serves and the bundle carries.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type OnResolveResult, type Plugin } from 'esbuild';
import { UI_DIST, buildUi, builtUiSources } from '../ui/build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where `pnpm build` writes the bundle; `node dist/netfleet.mjs` is the production bin. */
export const DIST_DIR = join(ROOT, 'dist');

/** The CLI's entry, bundled as `netfleet.mjs`. */
export const CLI_ENTRY = { netfleet: join(ROOT, 'cli/src/run.ts') };

/**
 * Packages left to node_modules, resolved at run time from the bundle's directory upwards:
 * the root package.json lists them as its dependencies so they resolve from `dist/`.
 * - bullmq reads its Lua scripts from files relative to its own package;
 * - ioredis, because the hub and agent hand their clients to bullmq, so both must share one ioredis;
 * - pino starts transports in worker threads from files of its own;
 * - ssh2 (the git source's SSH transport) reads `__dirname` and tries its optional native addons.
 * The dependencies of external packages (msgpackr's optional native extension) stay with them.
 */
export const EXTERNAL = ['bullmq', 'ioredis', 'pino', 'ssh2'];

/**
 * Packages that run only in configurations an agent in its cluster does not have, left to
 * node_modules too and loaded from there by node's `require` at their first use (through
 * their shim in scripts/bundle-shims/, or `createAjv`): in the bundle their source text would
 * sit in every agent's heap although they never run (0.6 MB of live heap, docs/agent.md#memory).
 * The root package.json lists each at the version its importer resolves; the bundle refuses
 * to build when the two differ (`firstUseVersionMismatch`).
 */
export const LOADED_AT_FIRST_USE = ['ajv', 'js-yaml', 'socks-proxy-agent', 'jsonpath-plus', '@opentelemetry/api'];

/**
 * Packages whose modules only define what they export (no module is imported for what it
 * does on load), so the bundle may leave out every module of theirs that nothing uses.
 * `@kubernetes/client-node`'s index re-exports every generated API class and model (~750
 * modules, whose static members esbuild cannot prove free of side effects); the agent uses
 * `KubeConfig`, `Watch` and the HTTP layer under them.
 */
const SIDE_EFFECT_FREE_PACKAGES = ['@kubernetes/client-node'];

/**
 * Packages replaced in the bundle by a module of `scripts/bundle-shims/`, each saying why
 * the real one is not needed on node.
 */
const SHIMS = { 'whatwg-url': join(ROOT, 'scripts/bundle-shims/whatwg-url.ts') };

/**
 * Packages replaced in the bundle by a module of `scripts/bundle-shims/` that loads the real
 * package the first time it is used: each is imported at start by code the agent loads, and
 * used only in configurations the agent has not. The real package is one of
 * `LOADED_AT_FIRST_USE`, or (openid-client, imported asynchronously) a chunk of its own.
 */
const LAZY_SHIMS: Record<string, string> = {
  'socks-proxy-agent': join(ROOT, 'scripts/bundle-shims/socks-proxy-agent.ts'),
  'jsonpath-plus': join(ROOT, 'scripts/bundle-shims/jsonpath-plus.ts'),
  'openid-client': join(ROOT, 'scripts/bundle-shims/openid-client.ts'),
  '@opentelemetry/api': join(ROOT, 'scripts/bundle-shims/opentelemetry-api.ts'),
  'js-yaml': join(ROOT, 'scripts/bundle-shims/js-yaml.ts'),
};

const packageFilter = (names: readonly string[]) => new RegExp(`^(${names.map((name) => name.replaceAll('.', '\\.')).join('|')})$`);

/**
 * Why `name`, imported from `resolveDir`, would not be the same package at run time, where the
 * bundle's `require` finds it from the root's node_modules; undefined when it is the same.
 */
export function firstUseVersionMismatch(name: string, resolveDir: string, root = ROOT): string | undefined {
  const resolved = (from: string) => {
    try {
      return realpathSync(createRequire(join(from, 'package.json')).resolve(name));
    } catch {
      return undefined;
    }
  };
  const imported = resolved(resolveDir);
  const atRunTime = resolved(root);
  if (imported === atRunTime) return undefined;
  return `${name}: ${relative(root, resolveDir)} imports ${imported ?? 'nothing'}, but the bundle would load ${atRunTime ?? 'nothing'} at run time; `
    + 'list it in the root package.json at the version its importer resolves';
}

const lazyShims: Plugin = {
  name: 'lazy-shims',
  setup(build) {
    // Where the package was imported from: its shim resolves the real one from there.
    const importedFrom = new Map<string, string>();
    build.onResolve({ filter: packageFilter(Object.keys(LAZY_SHIMS)) }, async (args) => {
      if (args.pluginData === lazyShims) return undefined;
      const shim = LAZY_SHIMS[args.path]!;
      if (args.importer !== shim) {
        importedFrom.set(args.path, args.resolveDir);
        return { path: shim };
      }
      const resolveDir = importedFrom.get(args.path);
      if (resolveDir === undefined) return { errors: [{ text: `${args.path}: its shim was resolved before the package was imported` }] };
      if (LOADED_AT_FIRST_USE.includes(args.path)) return firstUse(args.path, resolveDir);
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir, pluginData: lazyShims });
      return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path, namespace: resolved.namespace };
    });
    // Imported without a shim (ajv, by `createAjv`).
    build.onResolve({ filter: packageFilter(LOADED_AT_FIRST_USE.filter((name) => !LAZY_SHIMS[name])) }, (args) => firstUse(args.path, args.resolveDir));
  },
};

function firstUse(name: string, resolveDir: string): OnResolveResult {
  const mismatch = firstUseVersionMismatch(name, resolveDir);
  return mismatch ? { errors: [{ text: mismatch }] } : { path: name, external: true };
}

const inSideEffectFreePackage = (path: string) => SIDE_EFFECT_FREE_PACKAGES.some((name) => path.includes(`/node_modules/${name}/`));

const sideEffectFree: Plugin = {
  name: 'side-effect-free-packages',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === sideEffectFree) return undefined;
      if (!SIDE_EFFECT_FREE_PACKAGES.some((name) => args.path.startsWith(name)) && !inSideEffectFreePackage(args.importer)) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: sideEffectFree });
      if (resolved.errors.length > 0 || !inSideEffectFreePackage(resolved.path)) return undefined;
      return { path: resolved.path, external: resolved.external, namespace: resolved.namespace, sideEffects: false };
    });
  },
};

// The hub reads its Lua commands at run time from `commands/` next to the module that loads
// them (hub/src/redis/script-loader.ts); in a bundle that module is the bundle itself.
const LUA_COMMANDS = join(ROOT, 'hub/src/redis/commands');

// Bundled CommonJS packages call `require` for node's built-ins; an ES module has none of its own.
const REQUIRE_SHIM = "import { createRequire as __netfleetCreateRequire } from 'node:module';\n"
  + 'const require = __netfleetCreateRequire(import.meta.url);';

export interface BundleOptions {
  /** Output name (written as `<name>.mjs`) → absolute path of the source entry. */
  entries: Record<string, string>;
  /** Emptied first, then holds the bundles, their source maps and the hub's Lua commands. */
  outdir: string;
}

/**
 * The repository files a bundle was built from, listed in `sources.json` beside it: the
 * `netfleet` bin runs the bundle only while none of them changed since, and the sources
 * through tsx otherwise, so an edited checkout always runs what it holds.
 */
export const SOURCES_FILE = 'sources.json';

/**
 * esbuild's metafile of the bundle, beside it: which modules each output holds and what it
 * imports, statically or when a command runs (`esbuild --analyze` reads it, and so does the
 * bundle test that checks what `netfleet agent` loads).
 */
export const METAFILE = 'metafile.json';

/** Bundles `entries` into `outdir`; every external package must resolve from there at run time. */
export async function bundle({ entries, outdir }: BundleOptions): Promise<string[]> {
  await rm(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.mjs' },
    // Chunks beside the entry: the hub reads its Lua commands relative to the module holding its loader.
    chunkNames: '[name]-[hash]',
    bundle: true,
    // V8 keeps each module's source text in the heap for as long as the process runs, and a
    // single non-ASCII character in a comment makes a whole chunk a two-byte string: without
    // comments and indentation the agent's modules hold 5 MB less. Names stay as written, so
    // stack traces stay readable; the source maps map them back. Licence comments go to
    // `<chunk>.LEGAL.txt` beside each chunk.
    minifyWhitespace: true,
    legalComments: 'external',
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    external: EXTERNAL,
    alias: SHIMS,
    plugins: [lazyShims, sideEffectFree],
    banner: { js: REQUIRE_SHIM },
    logLevel: 'warning',
  });
  const sources = Object.keys(metafile.inputs)
    .map((input) => relative(ROOT, resolve(ROOT, input)).split(sep).join('/'))
    .filter((input) => !input.startsWith('..') && !input.includes('node_modules/'));
  // The hub serves the dashboard from `ui/` next to its module (hub/src/api/ui-dir.ts); the
  // dashboard's sources count as the bundle's, so a dashboard edited since is noticed too.
  if (existsSync(UI_DIST)) {
    await cp(UI_DIST, join(outdir, 'ui'), { recursive: true });
    sources.push(...await builtUiSources());
  }
  await writeFile(join(outdir, SOURCES_FILE), `${JSON.stringify([...new Set(sources)].sort(), null, 1)}\n`);
  await writeFile(join(outdir, METAFILE), JSON.stringify(metafile));
  await cp(LUA_COMMANDS, join(outdir, 'commands'), { recursive: true });
  return Object.keys(entries).map((name) => join(outdir, `${name}.mjs`));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`built the dashboard into ${await buildUi()}\n`);
  const [file] = await bundle({ entries: CLI_ENTRY, outdir: DIST_DIR });
  process.stdout.write(`built ${file}; run it with node\n`);
}
