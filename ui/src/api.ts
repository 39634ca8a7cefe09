import type { Alert, ClusterDetail, ClusterList, ClusterSummary, DriftState, EventList } from '@netfleet/shared/protocol/schemas';
import type { RolloutDetail, RolloutSummary } from '@netfleet/shared/protocol/rollout';
import type { ClusterLinksResponse, IncomingLinksResponse, LinkDetailResponse, LinkMatrixResponse } from '@netfleet/shared/protocol/links';

export type Role = 'admin' | 'reader';

/** An error the hub answered, with its code, message and hint (the API's error format). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly hint?: string) {
    super(message);
  }
}

/** Phases a rollout does not leave. */
const FINISHED_PHASES: ReadonlySet<string> = new Set(['done', 'rolledBack', 'aborted', 'superseded']);

/** Rollout controls an admin may send; the hub route is POST /api/v1/rollouts/:id/:action. */
export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort' | 'rollback';

/**
 * The hub API as the dashboard calls it. The token lives only in this object (memory): it is
 * sent as a bearer header, never put in a URL, the page or storage, and is gone on reload.
 */
export class HubApi {
  constructor(readonly token: string) {}

  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(path, {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      credentials: 'omit',
      cache: 'no-store',
    });
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string; hint?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? String(response.status), error?.message ?? `the hub answered ${response.status}`, error?.hint);
    }
    return body as T;
  }

  whoami(): Promise<{ role: Role }> {
    return this.request('/api/v1/whoami');
  }

  /**
   * Every cluster, page by page (the API pages by name, 500 at most per page); `onPage` sees
   * the clusters so far after each page, so a large fleet shows while the rest loads.
   */
  async allClusters(onPage: (soFar: ClusterSummary[], total: number) => void = () => undefined): Promise<ClusterSummary[]> {
    const items: ClusterSummary[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: ClusterList = await this.request(`/api/v1/clusters?limit=500${query}`);
      items.push(...page.items);
      cursor = page.nextCursor;
      if (cursor) onPage([...items], page.total);
    } while (cursor);
    return items;
  }

  cluster(name: string): Promise<ClusterDetail> {
    return this.request(`/api/v1/clusters/${encodeURIComponent(name)}`);
  }

  drift(name: string): Promise<DriftState> {
    return this.request(`/api/v1/clusters/${encodeURIComponent(name)}/drift`);
  }

  events(name: string): Promise<EventList> {
    return this.request(`/api/v1/clusters/${encodeURIComponent(name)}/events?limit=50`);
  }

  /** The links other clusters reported towards this one, or null when it is in no mesh group. */
  incomingLinks(name: string): Promise<IncomingLinksResponse | null> {
    return this.request<IncomingLinksResponse>(`/api/v1/clusters/${encodeURIComponent(name)}/incoming-links`)
      .catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error)));
  }

  /** The cluster's links, or null when it is in no mesh group. */
  clusterLinks(name: string): Promise<ClusterLinksResponse | null> {
    return this.request<ClusterLinksResponse>(`/api/v1/clusters/${encodeURIComponent(name)}/links`)
      .catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error)));
  }

  alerts(): Promise<{ items: Alert[] }> {
    return this.request('/api/v1/alerts?limit=500');
  }

  rollouts(): Promise<{ items: RolloutSummary[] }> {
    return this.request('/api/v1/rollouts?limit=100');
  }

  rollout(id: string): Promise<RolloutDetail> {
    return this.request(`/api/v1/rollouts/${encodeURIComponent(id)}`);
  }

  /** The rollout in progress (the newest not finished), or null. */
  async currentRollout(): Promise<RolloutDetail | null> {
    const { items } = await this.request<{ items: RolloutSummary[] }>('/api/v1/rollouts?limit=10');
    const current = items.find((rollout) => !FINISHED_PHASES.has(rollout.phase));
    return current ? this.rollout(current.id) : null;
  }

  control(id: string, action: RolloutAction): Promise<RolloutDetail> {
    return this.request(`/api/v1/rollouts/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: JSON.stringify({ reason: `${action} from the dashboard` }) });
  }

  retry(id: string, cluster: string): Promise<RolloutDetail> {
    return this.request(`/api/v1/rollouts/${encodeURIComponent(id)}/clusters/${encodeURIComponent(cluster)}/retry`, { method: 'POST' });
  }

  links(): Promise<LinkMatrixResponse> {
    return this.request('/api/v1/links');
  }

  /** What `from` last reported of its links to `to`, with since when each fails. */
  linkDetail(from: string, to: string): Promise<LinkDetailResponse> {
    return this.request(`/api/v1/links/${encodeURIComponent(from)}/${encodeURIComponent(to)}`);
  }
}
