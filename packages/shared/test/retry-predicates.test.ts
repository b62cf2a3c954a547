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
