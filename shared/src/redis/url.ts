import { NetfleetError } from '../errors.js';

/** The Redis URL forms netfleet accepts, for help texts and errors. */
export const REDIS_URL_FORMS = [
  'redis://[user:password@]host[:port][/db] (one server; rediss:// for TLS)',
  'redis-sentinel://[user:password@]host1[:port],host2[:port]/masterName[?db=N] (Sentinel; rediss-sentinel:// for TLS)',
  'redis-cluster://[user:password@]host1[:port],host2[:port] (Redis Cluster; rediss-cluster:// for TLS)',
] as const;

export interface RedisHostPort {
  host: string;
  port: number;
}

/** Credentials of the data nodes (Sentinel processes themselves are reached without them). */
interface RedisAuth {
  username?: string;
  password?: string;
  tls: boolean;
}

/** Where a Redis URL points; see {@link parseRedisUrl}. */
export type RedisTarget = RedisAuth & (
  | { mode: 'single'; node: RedisHostPort; db: number }
  | { mode: 'sentinel'; sentinels: RedisHostPort[]; masterName: string; db: number }
  | { mode: 'cluster'; nodes: RedisHostPort[] }
);

type Mode = RedisTarget['mode'];

const SCHEMES: Record<string, { mode: Mode; tls: boolean }> = {
  redis: { mode: 'single', tls: false },
  rediss: { mode: 'single', tls: true },
  'redis-sentinel': { mode: 'sentinel', tls: false },
  'rediss-sentinel': { mode: 'sentinel', tls: true },
  'redis-cluster': { mode: 'cluster', tls: false },
  'rediss-cluster': { mode: 'cluster', tls: true },
};

const DEFAULT_PORT: Record<Mode, number> = { single: 6379, sentinel: 26379, cluster: 6379 };

/** A Redis URL that cannot be used; the message names the wrong part and never holds the password. */
export class RedisUrlError extends NetfleetError {
  constructor(url: string, problem: string) {
    super('CONFIG_REDIS_URL', `invalid Redis URL ${redactRedisUrl(url)}: ${problem}`, {
      hint: `use one of: ${REDIS_URL_FORMS.join('; ')}`,
    });
  }
}

/** Splits `scheme://[userinfo@]rest`; the userinfo ends at the last `@`, so an unencoded `@` or `/` in a password stays in it. */
function split(url: string): { scheme: string; userinfo: string | undefined; rest: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(url);
  if (!match) return undefined;
  const body = match[2]!;
  const at = body.lastIndexOf('@');
  return { scheme: match[1]!.toLowerCase(), userinfo: at === -1 ? undefined : body.slice(0, at), rest: at === -1 ? body : body.slice(at + 1) };
}

/** The URL with its password (or a userinfo without a user name) replaced by `***`, for logs and errors. */
export function redactRedisUrl(url: string): string {
  const parts = split(url);
  if (!parts?.userinfo) return url;
  const colon = parts.userinfo.indexOf(':');
  const userinfo = colon === -1 ? '***' : `${parts.userinfo.slice(0, colon)}:***`;
  return `${parts.scheme}://${userinfo}@${parts.rest}`;
}

/**
 * Parses a Redis URL in one of {@link REDIS_URL_FORMS}; throws {@link RedisUrlError} naming
 * the part that is wrong. Ports default to 6379 (26379 for Sentinel processes).
 */
export function parseRedisUrl(url: string): RedisTarget {
  const fail = (problem: string): never => {
    throw new RedisUrlError(url, problem);
  };
  const parts = split(url.trim());
  if (!parts) return fail('expected <scheme>://..., with scheme redis, rediss, redis-sentinel, rediss-sentinel, redis-cluster or rediss-cluster');
  const scheme = SCHEMES[parts.scheme] ?? fail(`unknown scheme "${parts.scheme}"`);
  const auth = { tls: scheme.tls, ...parseUserinfo(parts.userinfo, fail) };

  const [beforeQuery = '', query] = splitOnce(parts.rest, '?');
  const [hostList = '', path] = splitOnce(beforeQuery, '/');
  const params = new URLSearchParams(query ?? '');
  const hosts = parseHosts(hostList, DEFAULT_PORT[scheme.mode], fail);

  switch (scheme.mode) {
    case 'single': {
      if (hosts.length !== 1) fail(`host list "${hostList}" names ${hosts.length} servers; redis:// takes one (use redis-sentinel:// or redis-cluster:// for several)`);
      noParams(params, [], fail);
      return { ...auth, mode: 'single', node: hosts[0]!, db: parseDb(path || '0', 'database (path)', fail) };
    }
    case 'sentinel': {
      if (!path) fail('master name (path) is missing, e.g. redis-sentinel://host:26379/mymaster');
      const masterName = decode(path!, 'master name (path)', fail);
      if (masterName.includes('/')) fail(`master name (path) "${masterName}" holds a "/"; put the database in ?db=N`);
      noParams(params, ['db'], fail);
      return { ...auth, mode: 'sentinel', sentinels: hosts, masterName, db: parseDb(params.get('db') ?? '0', 'database (?db=)', fail) };
    }
    case 'cluster': {
      if (path) fail(`path "/${path}" is not allowed: Redis Cluster has only database 0`);
      noParams(params, [], fail);
      return { ...auth, mode: 'cluster', nodes: hosts };
    }
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function decode(text: string, part: string, fail: (problem: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`${part} has a malformed %-escape`);
  }
}

function parseUserinfo(userinfo: string | undefined, fail: (problem: string) => never): { username?: string; password?: string } {
  if (userinfo === undefined) return {};
  const [user = '', password] = splitOnce(userinfo, ':');
  // The password is never quoted back: a malformed escape is reported by part only.
  const username = decode(user, 'user name', fail);
  return {
    ...(username ? { username } : {}),
    ...(password ? { password: decode(password, 'password', fail) } : {}),
  };
}

const HOST = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/@,]+))(?::(\d*))?$/i;

function parseHosts(list: string, defaultPort: number, fail: (problem: string) => never): RedisHostPort[] {
  if (!list) fail('host is missing, e.g. 127.0.0.1:6379');
  return list.split(',').map((entry) => {
    const match = HOST.exec(entry);
    if (!match) return fail(`host "${entry}" is not host[:port] (IPv6 as [addr]:port)`);
    const port = match[3] ? Number(match[3]) : defaultPort;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`port of "${entry}" must be 1-65535`);
    return { host: match[1] ?? match[2]!, port };
  });
}

function parseDb(text: string, part: string, fail: (problem: string) => never): number {
  if (!/^\d{1,5}$/.test(text)) fail(`${part} "${text}" must be a database number, e.g. 0`);
  return Number(text);
}

function noParams(params: URLSearchParams, allowed: string[], fail: (problem: string) => never): void {
  for (const name of params.keys()) {
    if (!allowed.includes(name)) fail(`query parameter "${name}" is not supported${allowed.length ? ` (only ${allowed.join(', ')})` : ''}`);
  }
}
