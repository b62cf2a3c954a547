/**
 * One Kubernetes API server per simulated GKE cluster, on 127.0.0.1 over TLS with a certificate
 * signed by the sandbox CA: bearer-token auth, discovery, the REST verbs (api.ts), watch, the
 * fault plan (injected Status errors, latency, lost responses, a dark region that drops
 * connections). Request bodies are never logged.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import { KubeApi, PATCH_TYPES, type ApiRequest } from './api.js';
import { admissionFor } from './admission.js';
import { createServerCertificate, type CertificateAuthority } from './certs.js';
import {
  apiGroup,
  apiVersionOf,
  coreVersions,
  groupList,
  KUBE_VERSION,
  Registry,
  resourceList,
  type ResourceInfo,
} from './discovery.js';
import { KubeError, REASON_BY_CODE } from './errors.js';
import { ObjectStore, type KubeObject } from './store.js';
import { openapiV3 } from './openapi.js';
import { toTable, wantsTable } from './table.js';
import { Validator } from './validate.js';
import { fieldMatcher, labelMatcher } from './selectors.js';

export interface KubeApiServerOptions {
  cluster: string;
  region: string;
  ca: CertificateAuthority;
  faults: Faults;
  clock: Clock;
  /** ../shared/upstream: schemas to check objects against; skipped when absent. */
  upstreamDir?: string;
  port?: number;
}

export interface KubeApiServer {
  cluster: string;
  region: string;
  /** `127.0.0.1:PORT`: GKE returns the endpoint without a scheme. */
  endpoint: string;
  url: string;
  /** Base64 of the CA certificate PEM, as GKE's masterAuth.clusterCaCertificate. */
  caCertBase64: string;
  store: ObjectStore;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

interface Route {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export async function startKubeApiServer(opts: KubeApiServerOptions): Promise<KubeApiServer> {
  const registry = new Registry();
  const store = new ObjectStore(registry, opts.clock);
  store.admission = admissionFor(store);
  const api = new KubeApi(store, new Validator(opts.upstreamDir));
  const tls = createServerCertificate(opts.ca, `kube-apiserver-${opts.cluster}`);
  const watches = new Set<ServerResponse>();
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((error) => {
      // Only the error's class: a message might quote the request body, which may hold a Secret.
      const what = (error as Error)?.constructor?.name ?? 'unknown';
      const internal = new KubeError(
        500,
        'InternalError',
        `an error on the server has prevented the request from succeeding (${what})`,
      );
      sendStatus(res, error instanceof KubeError ? error : internal);
    });
  });
  // An unreachable control plane: connections are dropped before TLS.
  server.on('connection', (socket: Socket) => {
    if (opts.faults.isDark(opts.region)) socket.destroy();
  });
  server.on('tlsClientError', () => undefined);

  let address = '';

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (opts.faults.isDark(opts.region)) return void req.socket.destroy();
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) {
      req.resume();
      return sendStatus(res, new KubeError(401, 'Unauthorized', 'Unauthorized'));
    }
    const url = new URL(req.url ?? '/', 'https://kube');
    const body = await readBody(req);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const doc = discovery(parts);
    if (doc !== null) {
      await fault('get discovery');
      return doc === undefined ? sendStatus(res, pathNotFound()) : send(res, 200, doc);
    }
    const route = resolve(parts);
    if (!route) return sendStatus(res, pathNotFound());
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const verb = verbOf(req.method ?? 'GET', route.name !== undefined, contentType);
    if (!verb) {
      return sendStatus(
        res,
        new KubeError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        ),
      );
    }
    const watching = verb === 'list' && ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const decision = await fault(
      `${watching ? 'watch' : verb} ${route.info.name}${route.subresource ? `/${route.subresource}` : ''}`,
    );
    if (watching) return watch(req, res, route, url.searchParams);
    const userAgent = req.headers['user-agent'] ?? '';
    const result = api.handle({ verb, ...route, query: url.searchParams, body, contentType, userAgent });
    if (decision.lostResponse) {
      throw new KubeError(
        503,
        'ServiceUnavailable',
        'The response was lost (injected); the request may have been applied.',
      );
    }
    if (req.method === 'GET' && wantsTable(req.headers.accept)) {
      const found = result.body as { items?: KubeObject[] } & KubeObject;
      const rows = Array.isArray(found.items) ? found.items : [found];
      const includeObject = url.searchParams.get('includeObject');
      return send(
        res,
        200,
        toTable(route.info, rows, opts.clock.now(), includeObject, store.resourceVersion),
      );
    }
    send(res, result.code, result.body);
  }

  /** Applies the fault plan to one call: latency, then an injected error (thrown as a Status). */
  async function fault(method: string) {
    const decision = opts.faults.decide('kubernetes', method);
    if (decision.latencySeconds) await opts.clock.sleep(decision.latencySeconds);
    if (decision.error) {
      const { status, message } = decision.error;
      const retry = status === 429 ? { retryAfterSeconds: 1 } : undefined;
      throw new KubeError(status, REASON_BY_CODE[status] ?? 'InternalError', message, retry);
    }
    return decision;
  }

  /** A discovery document, undefined for a discovery path not served, null for a non-discovery path. */
  function discovery(parts: string[]): unknown {
    const [root, a, b, ...rest] = parts;
    if (root === 'version' && parts.length === 1) return KUBE_VERSION;
    if (root === 'api' && a === undefined) return coreVersions(address);
    if (root === 'api' && a === 'v1' && b === undefined) return resourceList(registry, '', 'v1');
    if (root === 'api' && a !== 'v1') return undefined;
    if (root === 'apis' && a === undefined) return groupList(registry);
    if (root === 'apis' && b === undefined) return apiGroup(registry, a!);
    if (root === 'apis' && rest.length === 0) return resourceList(registry, a!, b!);
    if (root === 'apis' && !registry.groups().get(a!)?.includes(b!)) return undefined;
    if (root === 'healthz' || root === 'livez' || root === 'readyz') return 'ok';
    if (root === 'openapi' && a === 'v3') return openapiV3(registry, parts.slice(2));
    if (root === 'api' || root === 'apis') return null;
    return undefined; // /openapi/v2 (kubectl uses v3) and anything else: 404
  }

  /** `/api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]]` and the same under `/apis/GROUP/VERSION`. */
  function resolve(parts: string[]): Route | undefined {
    const [group, version, rest] =
      parts[0] === 'api' ? ['', parts[1]!, parts.slice(2)] : [parts[1]!, parts[2]!, parts.slice(3)];
    const namespacedResource =
      rest[0] === 'namespaces' && rest.length >= 3
        ? registry.byResource(group, version, rest[2]!)
        : undefined;
    if (namespacedResource?.namespaced) {
      const [, namespace, , name, subresource, extra] = rest;
      return extra === undefined ? { info: namespacedResource, namespace, name, subresource } : undefined;
    }
    const info = registry.byResource(group, version, rest[0]!);
    const [, name, subresource, extra] = rest;
    if (!info || extra !== undefined || (info.namespaced && name !== undefined)) return undefined;
    return { info, name, subresource };
  }

  function watch(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams) {
    const apiVersion = apiVersionOf(route.info);
    const labels = labelMatcher(query.get('labelSelector'));
    const fields = fieldMatcher(query.get('fieldSelector'));
    const matches = (o: KubeObject) =>
      o.kind === route.info.kind &&
      (o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '') ===
        route.info.group &&
      (route.namespace === undefined || o.metadata.namespace === route.namespace) &&
      labels(o) &&
      fields(o);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    const write = (type: string, object: KubeObject) =>
      res.write(JSON.stringify({ type, object: { ...object, apiVersion } }) + '\n');
    const since = query.get('resourceVersion');
    if (!since || since === '0' || query.get('sendInitialEvents') === 'true') {
      for (const o of store.list(apiVersion, route.info.kind, route.namespace))
        if (matches(o)) write('ADDED', o);
    }
    const stop = store.onChange((e) => matches(e.object) && write(e.type, e.object));
    const seconds = Number(query.get('timeoutSeconds') ?? 1800);
    const timer = setTimeout(() => res.end(), Math.min(seconds, 1800) * 1000);
    watches.add(res);
    const finish = () => {
      stop();
      clearTimeout(timer);
      watches.delete(res);
    };
    res.on('close', finish);
    req.on('close', finish);
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    cluster: opts.cluster,
    region: opts.region,
    endpoint: address,
    url: `https://${address}`,
    caCertBase64: Buffer.from(opts.ca.certPem).toString('base64'),
    store,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of watches) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function verbOf(method: string, named: boolean, type: string): ApiRequest['verb'] | undefined {
  switch (method) {
    case 'GET':
      return named ? 'get' : 'list';
    case 'POST':
      return named ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      if (!named) return undefined;
      if (!PATCH_TYPES.includes(type))
        throw new KubeError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        );
      return type === 'application/apply-patch+yaml' ? 'apply' : 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

const pathNotFound = () =>
  new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new KubeError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, code: number, body: unknown) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendStatus(res: ServerResponse, e: KubeError) {
  if (res.headersSent) return void res.end();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (e.code === 429) headers['retry-after'] = '1';
  const text = JSON.stringify(e.toStatus());
  res.writeHead(e.code, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
