import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from './clock.js';
import type { ApiName, FaultDecision, Faults } from './faults.js';

/** An error in Google's JSON shape: { error: { code, message, status, errors: [{ reason }] } }. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason = STATUS_NAMES[code]?.toLowerCase() ?? 'error',
    /** The canonical status when the HTTP code alone is ambiguous (400 FAILED_PRECONDITION, 409 ABORTED). */
    readonly statusName?: string,
    /** errors[0].domain (default `global`) and google.rpc details (ErrorInfo …, each with its `@type`). */
    readonly extra: { domain?: string; details?: Record<string, unknown>[] } = {},
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** A response a handler shapes itself (status and JSON body), e.g. the Prometheus API's own error shape. */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export interface RestRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  /** The fault plan's decision for this call: handlers that start operations honour `operationError`. */
  fault: FaultDecision;
}

export interface Route {
  method: string;
  /** Path with `{name}` parameters, e.g. `/v1/projects/{project}/locations/{location}/memberships`. */
  path: string;
  /** Name used in fault plans, e.g. `memberships.create`. */
  name: string;
  handler: (req: RestRequest) => unknown | Promise<unknown>;
}

interface Compiled extends Route {
  pattern: RegExp;
}

function compile(route: Route): Compiled {
  const source = route.path
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) =>
      /^\{[a-zA-Z]+\}$/.test(part)
        ? `(?<${part.slice(1, -1)}>[^/:]+)`
        : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return { ...route, pattern: new RegExp(`^${source}/?$`) };
}

export interface RestServer {
  url: string;
  host: string;
  server: Server;
  close(): Promise<void>;
}

export interface RestDeps {
  faults: Faults;
  clock: Clock;
}

/**
 * One Google REST API on 127.0.0.1: routes, Google-style errors, and the fault plan applied to
 * every call (latency, injected errors, lost responses).
 */
export async function startRestServer(
  api: ApiName,
  routes: Route[],
  deps: RestDeps,
  port = 0,
): Promise<RestServer> {
  const compiled = routes.map(compile);
  const server = createServer((req, res) => {
    handle(api, compiled, deps, req, res).catch((error) => sendError(res, new ApiError(500, String(error))));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const host = `127.0.0.1:${address.port}`;
  return {
    url: `http://${host}`,
    host,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  api: ApiName,
  routes: Compiled[],
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const path = decodeURIComponent(url.pathname);
  let match: { route: Compiled; params: Record<string, string> } | undefined;
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== req.method) continue;
    match = { route, params: { ...(m.groups ?? {}) } };
    break;
  }
  const body = await readBody(req);
  if (!match) {
    return sendError(
      res,
      new ApiError(pathMatched ? 405 : 404, `${req.method} ${path} is not served by the ${api} sandbox`),
    );
  }
  const p = match.params;
  const decision = deps.faults.decide(api, match.route.name, {
    project: p.project,
    location: p.location ?? p.region ?? p.zone,
    cluster: p.cluster,
    request: body,
  });
  if (decision.latencySeconds) await deps.clock.sleep(decision.latencySeconds);
  if (decision.error) {
    const { status, message, reason, statusName, domain, details } = decision.error;
    return sendError(res, new ApiError(status, message, reason, statusName, { domain, details }));
  }
  try {
    const result = await match.route.handler({
      method: req.method!,
      params: match.params,
      query: url.searchParams,
      body,
      fault: decision,
    });
    if (decision.lostResponse) {
      return sendError(
        res,
        new ApiError(
          503,
          'The response was lost (injected); the request may have been applied.',
          'backendError',
        ),
      );
    }
    const raw = result instanceof RawResponse ? result : new RawResponse(200, result ?? {});
    res.writeHead(raw.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(raw.body));
  } catch (error) {
    if (error instanceof ApiError) return sendError(res, error);
    throw error;
  }
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'the request body is not JSON');
  }
}

function sendError(res: ServerResponse, error: ApiError) {
  if (res.headersSent) return res.end();
  const status = error.statusName ?? STATUS_NAMES[error.code] ?? 'UNKNOWN';
  res.writeHead(error.code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      error: {
        code: error.code,
        message: error.message,
        status,
        errors: [{ message: error.message, domain: error.extra.domain ?? 'global', reason: error.reason }],
        ...(error.extra.details ? { details: error.extra.details } : {}),
      },
    }),
  );
}
