import { fileURLToPath } from 'node:url';

/** The example fleet shipped in the repository (`examples/fleet`). */
export const EXAMPLE_FLEET_DIR = fileURLToPath(new URL('../../../examples/fleet', import.meta.url));
