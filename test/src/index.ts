export { freePort } from './free-port.js';
export { selfSignedCertificate } from './tls.js';
export { deleteKeysWithPrefix, startRedis, sharedRedis, type PrivateRedis, type SharedRedis, type StartRedisOptions } from './redis.js';
export { startRedisCluster, type PrivateRedisCluster } from './redis-cluster.js';
export {
  startRedisSentinel, type PrivateRedisSentinel, type StartRedisSentinelOptions,
} from './redis-sentinel.js';
export * from './dkp.js';
export {
  startGitServer,
  type GitServer, type GitServerAuth, type GitServerRepo, type GitRequestLogEntry, type StartGitServerOptions,
} from './git-server.js';
export { createWorkTree, type WorkTree, type CommitOptions } from './git-repo.js';
export {
  createGpgSigner, createSshSigner, configArgs,
  type CommitSigner, type GpgSignerOptions, type SshSignerOptions,
} from './git-signing.js';
export { runGit, runTool, type RunGitOptions } from './git-cli.js';
export { startKubeApiServer, DEFAULT_ADMIN_TOKEN, type KubeApiServer, type KubeApiServerOptions } from './kube/server.js';
export type { AuditEntry, AuditLog } from './kube/audit.js';
export type { ErrorFault, KubeFaults } from './kube/faults.js';
export type { TokenGrants } from './kube/auth.js';
export { startConnectProxy, startRedirectFront, type HttpFront } from './http-front.js';
export { sshdAvailable, startSshGitServer, type SshGitServer, type SshKeyPair } from './ssh-git-server.js';
export {
  startHostileGitFront, uploadPackResult, pktLine, FLUSH_PKT, type HostileGitFront, type UploadPackAnswer,
} from './hostile-git-front.js';
export * from './crafted-pack.js';
