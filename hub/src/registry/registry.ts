import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import {
  EARLIER_REPORT_QUEUE, PROTOCOL_VERSION,
  type BootstrapTokenCreated, type BootstrapTokenInfo, type BootstrapTokenRequest, type Credentials, type RegistrationRequest,
} from '@netfleet/shared';
import { HubError, HubErrorCode, registryScriptError } from '../errors.js';
import type { HubScripts } from '../redis/scripts.js';
import { execAll } from '../redis/pipeline.js';
import { HashReadBatch } from '../redis/hash-read-batch.js';
import { deriveReportKey, generateToken, hashToken, parseToken, sameHash } from './credentials.js';

/** Hex digits of a token's sha256 that identify it in the audit trail. */
const TOKEN_ID_LENGTH = 12;

/** Who a request speaks for. */
export type Principal =
  | { role: 'admin'; tokenId: string }
  | { role: 'reader'; tokenId: string }
  | { role: 'cluster'; cluster: string };

export interface RegistryOptions {
  /** Hub secret the report keys derive from. */
  secret: string;
  adminTokens: string[];
  readTokens: string[];
}

/**
 * Bootstrap tokens, registration, credential rotation and revocation, and token
 * authentication. All writes go through Lua scripts so a token use and the cluster it
 * creates are one step.
 */
export class Registry {
  private readonly adminHashes: string[];
  private readonly readHashes: string[];
  private readonly keyCache = new Map<string, string>();
  /** Token checks of the requests read together share one write to Redis. */
  private readonly tokenReads: HashReadBatch;

  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: HubScripts,
    private readonly options: RegistryOptions,
  ) {
    this.adminHashes = options.adminTokens.map(hashToken);
    this.readHashes = options.readTokens.map(hashToken);
    this.tokenReads = new HashReadBatch(redis, ['tokenHash', 'revoked']);
  }

  private get keys() {
    return this.scripts.keys;
  }

  async createBootstrapToken(request: BootstrapTokenRequest, now = Date.now()): Promise<BootstrapTokenCreated> {
    const id = randomBytes(6).toString('hex');
    const token = generateToken('nfb', id);
    const expiresAt = now + request.ttlSeconds * 1000;
    const description = request.description ?? '';
    await execAll(this.redis.multi()
      .hset(this.keys.bootstrap(id), {
        id, hash: hashToken(token), expiresAt, maxUses: request.maxUses, uses: 0, description, createdAt: now,
      })
      .pexpireat(this.keys.bootstrap(id), expiresAt + 24 * 3600_000)
      .sadd(this.keys.bootstrapIds(), id));
    return { id, token, expiresAt: new Date(expiresAt).toISOString(), maxUses: request.maxUses, uses: 0, description };
  }

  async listBootstrapTokens(): Promise<BootstrapTokenInfo[]> {
    const ids = await this.redis.smembers(this.keys.bootstrapIds());
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.bootstrap(id));
    const results = await execAll(pipeline);
    const tokens: BootstrapTokenInfo[] = [];
    const gone: string[] = [];
    results.forEach((value, index) => {
      const hash = value as Record<string, string>;
      if (!hash.id) return void gone.push(ids[index]!);
      tokens.push({
        id: hash.id, expiresAt: new Date(Number(hash.expiresAt)).toISOString(),
        maxUses: Number(hash.maxUses), uses: Number(hash.uses), description: hash.description ?? '',
      });
    });
    if (gone.length > 0) await this.redis.srem(this.keys.bootstrapIds(), ...gone);
    return tokens.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  }

  async deleteBootstrapToken(id: string): Promise<boolean> {
    const [deleted] = (await execAll(this.redis.multi().del(this.keys.bootstrap(id)).srem(this.keys.bootstrapIds(), id))) as [number];
    return deleted === 1;
  }

  async register(bootstrapToken: string, request: RegistrationRequest, now = Date.now()): Promise<Credentials> {
    const parsed = parseToken(bootstrapToken);
    if (parsed?.kind !== 'nfb') throw registryScriptError(-10, request.cluster);
    const apiToken = generateToken('nfc', request.cluster);
    const code = await this.scripts.registerCluster({
      bootstrapId: parsed.owner, bootstrapHash: hashToken(bootstrapToken), cluster: request.cluster,
      region: request.region, labels: request.labels ?? {}, tokenHash: hashToken(apiToken), now,
    });
    if (code !== 1) throw registryScriptError(code, request.cluster);
    return this.credentials(request.cluster, 1, apiToken);
  }

  /** New report key and API token for a cluster; the old ones stop working at once. */
  async rotate(cluster: string): Promise<Credentials> {
    const apiToken = generateToken('nfc', cluster);
    const generation = await this.scripts.rotateCredentials(cluster, hashToken(apiToken));
    if (generation < 0) throw registryScriptError(generation, cluster);
    return this.credentials(cluster, generation, apiToken);
  }

  async revoke(cluster: string, now = Date.now()): Promise<void> {
    const code = await this.scripts.revokeCluster(cluster, JSON.stringify({ time: now, type: 'revoked', message: 'credentials revoked' }));
    if (code < 0) throw registryScriptError(code, cluster);
  }

  /** The key a cluster's reports are signed with, for one key generation. */
  reportKey(cluster: string, generation: number): string {
    const id = `${cluster}/${generation}`;
    let key = this.keyCache.get(id);
    if (!key) {
      key = deriveReportKey(this.options.secret, cluster, generation);
      if (this.keyCache.size > 100_000) this.keyCache.clear();
      this.keyCache.set(id, key);
    }
    return key;
  }

  /** The principal a bearer token stands for, or undefined when it stands for nobody. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token);
    // The token id names a configured token in the audit trail: the start of its hash, not the token.
    if (this.adminHashes.some((known) => sameHash(known, hash))) return { role: 'admin', tokenId: hash.slice(0, TOKEN_ID_LENGTH) };
    if (this.readHashes.some((known) => sameHash(known, hash))) return { role: 'reader', tokenId: hash.slice(0, TOKEN_ID_LENGTH) };
    const parsed = parseToken(token);
    if (parsed?.kind !== 'nfc') return undefined;
    const [stored, revoked] = await this.tokenReads.read(this.keys.cluster(parsed.owner));
    if (!stored || revoked === '1' || !sameHash(stored, hash)) return undefined;
    return { role: 'cluster', cluster: parsed.owner };
  }

  /**
   * `queue` and `prefix` serve agents of versions that queued their reports in Redis
   * themselves (one report's text per job): the queue they wrote to then, which hubs still work.
   */
  private credentials(cluster: string, generation: number, apiToken: string): Credentials {
    return {
      cluster, apiToken, keyGeneration: generation, reportKey: this.reportKey(cluster, generation),
      protocolVersion: PROTOCOL_VERSION, queue: EARLIER_REPORT_QUEUE, prefix: this.keys.prefix,
    };
  }
}

export function assertSecret(secret: string | undefined): string {
  if (!secret || secret.length < 32) {
    throw new HubError(HubErrorCode.Config, 'the hub secret is missing or shorter than 32 characters', {
      hint: 'set NETFLEET_HUB_SECRET or `secretFile` in the hub config (e.g. `openssl rand -hex 32`)',
    });
  }
  return secret;
}
