// The one place the CLI meets the process: both bins end here, `bin/netfleet.js` through
// tsx's loader and the bundle (`pnpm build`, dist/netfleet.mjs) directly.
import { main } from './main.js';

// A reader that stops early (`netfleet render --all | head -1`) is not a failure: end quietly
// instead of crashing on the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

process.exitCode = await main(process.argv.slice(2));
