import { describe, expect, it } from '@jest/globals';
import { retryPredicates as p } from '../src/index.js';

const grpc = (code: number, details: string) =>
  Object.assign(new Error(details), { code, details, metadata: {} });
const http = (status: number, error: object) => ({
  response: { status, data: { error } },
  message: `HTTP ${status}`,
});

describe('retry predicates', () => {
  it('waits out GKE\'s one operation per cluster (FAILED_PRECONDITION "incompatible operation")', () => {
    const e = p.toCallError(
      grpc(9, 'Cluster is running incompatible operation operation-123. Please wait and try again.'),
    );
    expect([p.isOperationInProgress(e), p.isRetryable(e)]).toEqual([true, true]);
  });

  it('retries 429 and quota errors, from gRPC and REST', () => {
    expect(p.isRateLimited(p.toCallError(grpc(8, 'Too many operations in progress')))).toBe(true);
    expect(
      p.isRateLimited(
        p.toCallError(http(429, { status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded' }] })),
      ),
    ).toBe(true);
    expect(
      p.isRateLimited(
        p.toCallError(
          http(403, {
            message: 'Quota exceeded',
            errors: [{ reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED' }],
          }),
        ),
      ),
    ).toBe(true);
  });

  it('retries per-minute and concurrent-operation quotas, which refill by themselves', () => {
    const perMinute = p.toCallError(
      http(429, {
        status: 'RESOURCE_EXHAUSTED',
        message:
          "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'gkehub.googleapis.com' for consumer 'project_number:123'.",
        errors: [{ reason: 'rateLimitExceeded' }],
      }),
    );
    expect([p.isRateLimited(perMinute), p.hardQuota(perMinute), p.isRetryable(perMinute)]).toEqual([
      true,
      undefined,
      true,
    ]);
    const concurrent = p.toCallError(grpc(8, 'CONCURRENT_OPERATIONS quota exceeded for project'));
    expect([p.isRetryable(concurrent), p.hardQuota(concurrent)]).toEqual([true, undefined]);
  });

  it('fails at once on a hard GPU quota, naming the quota, region, limit and usage', () => {
    const gke = p.toCallError(
      grpc(
        8,
        `Insufficient regional quota to satisfy request: resource "NVIDIA_H100_GPUS": request requires '16.0' and is short '8.0'. project has a quota of '8.0' with '0.0' available. View and manage quotas at https://console.cloud.google.com/iam-admin/quotas?usage=USED&project=my-project.`,
      ),
    );
    expect(p.isRetryable(gke)).toBe(false);
    expect(p.hardQuota(gke)).toEqual({ quota: 'NVIDIA_H100_GPUS', limit: 8, usage: 8, requested: 16 });
    expect(p.describeQuota(p.hardQuota(gke)!, 'us-east4')).toMatch(
      /^quota NVIDIA_H100_GPUS in us-east4 is exhausted \(limit 8, usage 8, this request needs 16\): waiting will not help/,
    );
    const compute = p.toCallError(
      http(403, {
        message: "Quota 'NVIDIA_H100_GPUS' exceeded.  Limit: 8.0 in region us-east4.",
        errors: [{ reason: 'quotaExceeded' }],
      }),
    );
    expect([p.isRetryable(compute), p.hardQuota(compute)]).toEqual([
      false,
      { quota: 'NVIDIA_H100_GPUS', limit: 8, region: 'us-east4' },
    ]);
    expect(p.describeCallError(compute)).toContain(
      'quota NVIDIA_H100_GPUS in us-east4 is exhausted (limit 8)',
    );
  });

  it('retries 500/502/503/504 and network resets, and reads back after them', () => {
    for (const status of [500, 502, 503, 504]) {
      const e = p.toCallError(http(status, { message: 'backend' }));
      expect([status, p.isTransient(e), p.outcomeUnknown(e)]).toEqual([status, true, true]);
    }
    const reset = p.toCallError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect([p.isTransient(reset), reset.networkCode]).toEqual([true, 'ECONNRESET']);
  });

  it("retries Compute's 409 operationInProgress and 400 resourceNotReady", () => {
    expect(p.isRetryable(p.toCallError(http(409, { errors: [{ reason: 'operationInProgress' }] })))).toBe(
      true,
    );
    expect(p.isRetryable(p.toCallError(http(400, { errors: [{ reason: 'resourceNotReady' }] })))).toBe(true);
  });

  it('redoes an IAM read-modify-write on 409 ABORTED concurrent policy changes', () => {
    const e = p.toCallError(
      http(409, {
        status: 'ABORTED',
        message:
          'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      }),
    );
    expect([p.isConcurrentPolicyChange(e), p.isRetryable(e)]).toEqual([true, true]);
  });

  it('does not retry what will not get better', () => {
    for (const e of [
      http(400, { status: 'INVALID_ARGUMENT', message: 'Invalid machine type' }),
      http(403, { status: 'PERMISSION_DENIED', message: 'Permission denied' }),
      http(404, { status: 'NOT_FOUND', message: 'Not found' }),
      http(409, { status: 'ALREADY_EXISTS', message: 'Already exists' }),
    ]) {
      expect([JSON.stringify(e.response.data), p.isRetryable(p.toCallError(e))]).toEqual([
        JSON.stringify(e.response.data),
        false,
      ]);
    }
  });

  it('reads a Kubernetes Status carried as a JSON string (client-node)', () => {
    const e = p.toCallError({
      code: 409,
      body: JSON.stringify({
        kind: 'Status',
        reason: 'Conflict',
        message: 'Another operation is in progress',
      }),
    });
    expect(e.reasons).toContain('Conflict');
    expect(p.isRetryable(e)).toBe(true);
    const gone = p.toCallError({
      code: 404,
      body: JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found' }),
    });
    expect(p.isNotFound(gone)).toBe(true);
  });

  it('tells an already-existing resource apart, so a create is read back and adopted', () => {
    expect(
      p.isAlreadyExists(p.toCallError(grpc(6, 'Already exists: projects/p/locations/l/clusters/c.'))),
    ).toBe(true);
  });
});
