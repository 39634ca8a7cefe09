import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import { HUB_VERSION } from '../version.js';

const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'commands');
const INCLUDE = /^--- @include "([\w/-]+)"$/gm;

/** One Lua command read from `commands/<name>-<numKeys>.lua`. */
export interface LuaCommand {
  /** File name without the key count, e.g. `ingest-reports`. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

function resolveIncludes(lua: string): string {
  return lua.replace(INCLUDE, (_line, include: string) =>
    readFileSync(join(COMMANDS_DIR, `${include}.lua`), 'utf8'));
}

/** Reads every command; the number of KEYS comes from the file name. */
export function loadCommands(): LuaCommand[] {
  return readdirSync(COMMANDS_DIR)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => {
      const match = /^(.+)-(\d+)\.lua$/.exec(file);
      if (!match) throw new Error(`Lua command file name must be <name>-<numKeys>.lua: ${file}`);
      return {
        name: match[1]!,
        numberOfKeys: Number(match[2]),
        lua: resolveIncludes(readFileSync(join(COMMANDS_DIR, file), 'utf8')),
      };
    });
}

const cache = loadCommands();

/**
 * The Redis command name of a Lua command: it carries the hub version, so two hub versions
 * sharing one Redis never run each other's scripts.
 */
export function commandName(name: string): string {
  return `netfleet:${name}:${HUB_VERSION}`;
}

/** Defines every command on a client (ioredis runs them with EVALSHA, falling back to EVAL). */
export function defineCommands(client: RedisClient): void {
  for (const command of cache) {
    client.defineCommand(commandName(command.name), { numberOfKeys: command.numberOfKeys, lua: command.lua });
  }
}
