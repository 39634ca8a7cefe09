// A module import, not a file read at run time, so the bundle carries the version.
import hubPackage from '../package.json' with { type: 'json' };

/** The hub package version; part of Lua script names and reported by /healthz. */
export const HUB_VERSION: string = hubPackage.version;
