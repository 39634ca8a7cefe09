// The one place the CLI meets the process: both bins end here, `bin/netfleet.js` through
// tsx's loader and the bundle (`pnpm build`, dist/netfleet.mjs) directly.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
