/**
 * Helpers for the Kubernetes API server tests: a server on a fresh CA, a client-node KubeConfig
 * for it, and raw HTTPS requests (for what no client exposes: headers, raw Status bodies, watch).
 */
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { Clock } from '../src/clock.js';
import { Faults } from '../src/faults.js';
import { createCertificateAuthority, startKubeApiServer, type KubeApiServer } from '../src/kube/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const UPSTREAM_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'upstream');
export const UPSTREAM_PRESENT = existsSync(path.join(UPSTREAM_DIR, 'SOURCES.md'));
export const TOKEN = 'sandbox-token';
export const REGION = 'europe-west3';

export async function startTestServer(faults = new Faults({ seed: 3 })): Promise<KubeApiServer> {
  return startKubeApiServer({
    cluster: 'test-cluster',
    region: REGION,
    ca: createCertificateAuthority(),
    faults,
    clock: new Clock(1),
    upstreamDir: UPSTREAM_DIR,
  });
}

/** A KubeConfig for the server; `token: null` for a user without credentials. */
export function kubeConfig(server: KubeApiServer, token: string | null = TOKEN): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'sandbox',
        server: `https://${server.endpoint}`,
        caData: server.caCertBase64,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'sandbox', ...(token ? { token } : {}) }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'sandbox' }],
    currentContext: 'sandbox',
  });
  return kc;
}

/** The HTTP code and parsed Status of a failed client-node call (throws if the call succeeded). */
export async function failure(call: Promise<unknown>): Promise<{ code: number; status: any }> {
  try {
    await call;
  } catch (e) {
    if (e instanceof k8s.ApiException)
      return { code: e.code, status: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
    throw e;
  }
  throw new Error('the call succeeded, a failure was expected');
}

export interface RawResponse {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export function raw(
  server: KubeApiServer,
  method: string,
  urlPath: string,
  opts: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
): Promise<RawResponse> {
  const [host, port] = server.endpoint.split(':');
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port),
        method,
        path: urlPath,
        headers,
        ca: Buffer.from(server.caCertBase64, 'base64'),
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ code: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export const deployment = (
  name: string,
  namespace: string,
  replicas = 2,
  extra: Record<string, string> = {},
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { app: name, ...extra } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.10.0', ports: [{ containerPort: 8000 }] }],
      },
    },
  },
});
