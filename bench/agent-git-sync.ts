/**
 * One fresh sync in its own process, so its peak RSS is measured alone:
 * `agent-git-sync.ts URL CACHE_DIR` prints `{ syncMs, cpuMs, files, bytes, loadedRssMb, maxRssMb }`
 * as JSON; `loadedRssMb` is the RSS once the modules are loaded, before the sync starts.
 */
import { createLogger } from '../shared/src/log.js';
import { GitSource } from '../git/src/index.js';
import { peakRssMb } from './peak-rss.js';

const [url, cacheDir] = process.argv.slice(2);
if (!url || !cacheDir) throw new Error('usage: agent-git-sync.ts URL CACHE_DIR');

const loadedRssMb = process.memoryUsage().rss / 1024 / 1024;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const source = new GitSource({ url, cacheDir, logger: createLogger({ name: 'bench', level: 'warn' }) });
const snapshot = await source.snapshot();
let bytes = 0;
const entries = await snapshot.reader.list();
// Read every file, as rendering does, so the work matches a checkout.
for (const entry of entries) bytes += (await snapshot.reader.read(entry.path)).byteLength;
const syncMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
source.close();

process.stdout.write(JSON.stringify({ syncMs, cpuMs: (cpu.user + cpu.system) / 1000, files: entries.length, bytes, loadedRssMb, maxRssMb: peakRssMb() }));
