/** Where the repository lives, as the transports need it. */
export type RepositoryAddress =
  | { kind: 'http'; url: string }
  | { kind: 'ssh'; host: string; port: number; username: string; path: string };

/** The user name of SSH URLs that name none: GitHub, GitLab, Gitea, Bitbucket and Azure DevOps all use `git`. */
const DEFAULT_SSH_USER = 'git';
/** scp-like syntax, `[user@]host:path`, told apart as git does: a colon before any slash. */
const SCP_LIKE = /^(?:([^@/:]+)@)?(\[[^\]]+\]|[^@/:]+):(?!\/\/)(.+)$/;

/**
 * Read a repository URL: `https://` / `http://`, `ssh://[user@]host[:port]/path`, or the
 * scp-like `[user@]host:path` (as `git clone` reads them). Returns undefined for anything else.
 */
export function parseRepositoryUrl(text: string): RepositoryAddress | undefined {
  if (!text.includes('://')) {
    const scp = SCP_LIKE.exec(text);
    if (!scp) return undefined;
    return { kind: 'ssh', host: unbracket(scp[2]!), port: 22, username: scp[1] ?? DEFAULT_SSH_USER, path: scp[3]! };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol === 'https:' || url.protocol === 'http:') return { kind: 'http', url: text };
  if (url.protocol !== 'ssh:' && url.protocol !== 'git+ssh:') return undefined;
  // `ssh://host/~user/repo` names a path under a home directory, as in git.
  const path = decodeURIComponent(url.pathname).replace(/^\/~/, '~');
  return {
    kind: 'ssh',
    host: unbracket(url.hostname),
    port: url.port ? Number(url.port) : 22,
    username: url.username ? decodeURIComponent(url.username) : DEFAULT_SSH_USER,
    path,
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
