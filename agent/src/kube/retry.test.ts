import { ApiException, FetchError } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeErrorCode } from '../errors.js';
import { backoffDelay, toKubeError, withRetry } from './retry.js';

const status = (code: number, body: unknown, headers: Record<string, string> = {}) => new ApiException(code, 'Unsuccessful HTTP Request', body, headers);

describe('toKubeError', () => {
  it.each([
    { name: '429', error: status(429, { message: 'slow down' }, { 'retry-after': '2' }), code: KubeErrorCode.Throttled, transient: true, retryAfter: 2 },
    { name: '500', error: status(500, { message: 'boom' }), code: KubeErrorCode.ServerError, transient: true },
    { name: '503', error: status(503, 'unavailable'), code: KubeErrorCode.ServerError, transient: true },
    { name: 'a concurrent-write 409', error: status(409, { reason: 'Conflict', message: 'the object has been modified' }), code: KubeErrorCode.Busy, transient: true },
    {
      name: 'a field-manager 409', code: KubeErrorCode.FieldConflict, transient: false,
      error: status(409, { reason: 'Conflict', message: 'Apply failed with 1 conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.minReplicas', message: 'conflict with "kubectl"' }] } }),
    },
    { name: '404', error: status(404, { reason: 'NotFound', message: 'not found' }), code: KubeErrorCode.NotFound, transient: false },
    { name: '422', error: status(422, { reason: 'Invalid', message: 'spec.inlet: Required value' }), code: KubeErrorCode.Invalid, transient: false },
    {
      // kube-apiserver's answer to a server-side apply with a field the schema does not declare.
      name: 'a 500 from a server-side apply that cannot be typed', code: KubeErrorCode.Invalid, transient: false,
      error: status(500, { kind: 'Status', status: 'Failure', code: 500, message: 'failed to create typed patch object (/public; deckhouse.io/v1, Kind=IngressNginxController): .spec.x: field not declared in schema' }),
    },
    { name: '403', error: status(403, { reason: 'Forbidden', message: 'no' }), code: KubeErrorCode.Forbidden, transient: false },
    {
      name: 'a create in a terminating namespace', code: KubeErrorCode.NamespaceTerminating, transient: false,
      error: status(403, { reason: 'Forbidden', message: 'configmaps "a" is forbidden: unable to create new content in namespace x because it is being terminated', details: { causes: [{ reason: 'NamespaceTerminating', field: 'metadata.namespace', message: 'namespace x is being terminated' }] } }),
    },
    { name: 'a connection error', error: new FetchError('connect ECONNREFUSED 127.0.0.1:1', 'system'), code: KubeErrorCode.Unreachable, transient: true },
    { name: 'a failure inside the client', error: new Error('Required spec property name is not set'), code: KubeErrorCode.Failed, transient: false },
  ])('classifies $name', ({ error, code, transient, retryAfter }) => {
    const kubeError = toKubeError(error);
    expect(kubeError.code).toBe(code);
    expect(kubeError.transient).toBe(transient);
    if (retryAfter !== undefined) expect(kubeError.retryAfterSeconds).toBe(retryAfter);
  });

  it('lists the conflicting fields of a field-manager conflict', () => {
    const error = toKubeError(status(409, { details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.a', message: 'conflict with "other"' }] } }));
    expect(error.conflicts).toEqual([{ field: '.spec.a', message: 'conflict with "other"' }]);
  });
});

describe('backoffDelay', () => {
  const options = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  it.each([
    [0, 1, 100], [1, 1, 200], [3, 1, 800], [4, 1, 1000], [9, 1, 1000], [3, 0.5, 400], [3, 0, 0],
  ])('attempt %i with random %f waits %i ms', (attempt, random, want) => {
    expect(backoffDelay(attempt, options, () => random)).toBe(want);
  });
});

describe('withRetry', () => {
  const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

  it('retries transient failures until the request succeeds', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls < 3) throw status(500, { message: 'boom' });
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry what cannot succeed', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw status(422, { message: 'invalid' });
    }, fast)).rejects.toMatchObject({ code: KubeErrorCode.Invalid });
    expect(calls).toBe(1);
  });

  it('does not retry an apply the server cannot type (500, field not declared in schema)', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw status(500, { message: 'failed to create typed patch object (apply/a; /v1, Kind=ConfigMap): .spec: field not declared in schema' });
    }, fast)).rejects.toMatchObject({ code: KubeErrorCode.Invalid });
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw status(429, {}, { 'retry-after': '0' });
    }, fast)).rejects.toMatchObject({ code: KubeErrorCode.Throttled });
    expect(calls).toBe(4);
  });

  describe('when the server answers 429 with Retry-After', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits the whole Retry-After before the next attempt, longer than its backoff bound', async () => {
      vi.useFakeTimers();
      let calls = 0;
      const done = withRetry(async () => {
        calls++;
        if (calls === 1) throw status(429, {}, { 'retry-after': '3' });
        return 'ok';
      }, fast);
      await vi.advanceTimersByTimeAsync(2_999);
      expect(calls).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(2);
      await expect(done).resolves.toBe('ok');
    });
  });
});
