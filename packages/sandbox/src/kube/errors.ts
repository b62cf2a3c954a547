/**
 * Kubernetes errors are `Status` objects (meta/v1), not Google's `{ error: … }` shape:
 * { kind: 'Status', status: 'Failure', reason, message, details: { name, group, kind, causes }, code }.
 */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural), as the API server reports it. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `deployments.apps`, or `configmaps` for the core group: how messages name a resource. */
export const qualified = (resource: string, group: string) => (group ? `${resource}.${group}` : resource);

export const notFound = (resource: string, group: string, name: string) =>
  new KubeError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });

export const alreadyExists = (resource: string, group: string, name: string) =>
  new KubeError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });

export const conflict = (resource: string, group: string, name: string) =>
  new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: resource },
  );

export const badRequest = (message: string) => new KubeError(400, 'BadRequest', message);

/** 422: `Deployment.apps "x" is invalid: spec.replicas: …`, one cause per field. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeError {
  const what = group ? `${kind}.${group}` : kind;
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new KubeError(422, 'Invalid', `${what} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes,
  });
}

/** Reasons of injected errors, as the API server names its own. */
export const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};
