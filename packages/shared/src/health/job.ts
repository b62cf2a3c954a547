import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../cloud/kube.js';
import { FIELD_MANAGER, kubeLabels } from '../render/labels.js';
import type { Service } from '../spec/model.js';
import type { Check } from './model.js';
import { completionRequest } from './verify.js';

/**
 * `verify --from cluster`: the gateway is internal, so the test completion is sent from a
 * short-lived Job in the config cluster (as the seed's curl Pod does). The Job reports through its
 * Pod's termination message and is deleted afterwards, whether it passed, failed or timed out.
 */
export const VERIFY_JOB_LABEL = 'spillway.dev/verify-job';
export const CURL_IMAGE = 'curlimages/curl:8.10.1';

const SCRIPT =
  'code=$(curl -sS -m "$TIMEOUT" -o /tmp/body -w "%{http_code}" -X POST "$TARGET_URL" -H "content-type: application/json" ' +
  '${OBJECTIVE:+-H "x-gateway-inference-objective: $OBJECTIVE"} -d "$REQUEST_BODY" 2>/tmp/err) || code=000; ' +
  'printf "%s %s" "$code" "$(head -c 2000 /tmp/body 2>/dev/null || head -c 500 /tmp/err)" > /dev/termination-log';

export async function completionFromCluster(
  kube: KubeClient,
  service: Service,
  address: string,
  timing: { pollMs: number; timeoutMs: number },
): Promise<Check> {
  const host = address.includes(':') ? address : `${address}:${service.gateway.port}`;
  const { body, headers } = completionRequest(service);
  const name = `spillway-verify-${service.name}`.slice(0, 48) + `-${randomBytes(3).toString('hex')}`;
  const ns = service.namespace;
  const timeoutSeconds = Math.max(5, Math.ceil(timing.timeoutMs / 1000));
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: ns,
      labels: {
        ...kubeLabels({ platform: service.platform.name, service: service.name }),
        [VERIFY_JOB_LABEL]: 'true',
      },
    },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 300,
      activeDeadlineSeconds: timeoutSeconds + 60,
      template: {
        metadata: { labels: { [VERIFY_JOB_LABEL]: 'true', 'job-name': name } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'curl',
              image: CURL_IMAGE,
              command: ['sh', '-c', SCRIPT],
              env: [
                { name: 'TARGET_URL', value: `http://${host}/v1/completions` },
                { name: 'REQUEST_BODY', value: JSON.stringify(body) },
                {
                  name: 'OBJECTIVE',
                  value: (headers as Record<string, string>)['x-gateway-inference-objective'] ?? '',
                },
                { name: 'TIMEOUT', value: String(timeoutSeconds) },
              ],
            },
          ],
        },
      },
    },
  };
  const ref = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns } };
  try {
    await kube.apply(job, FIELD_MANAGER, true);
    const deadline = Date.now() + timing.timeoutMs + 30_000;
    while (Date.now() < deadline) {
      const pods = await kube.list('v1', 'Pod', ns, `job-name=${name}`);
      const message: string | undefined = pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.message;
      if (message !== undefined) return interpret(message, host);
      await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
    }
    return {
      name: 'test completion',
      ok: false,
      detail: `the verify Job ${ns}/${name} did not finish in time — check that the config cluster can run ${CURL_IMAGE}`,
    };
  } finally {
    await kube.delete(ref).catch(() => undefined);
    for (const pod of await kube.list('v1', 'Pod', ns, `job-name=${name}`).catch(() => [])) {
      await kube
        .delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name, namespace: ns } })
        .catch(() => undefined);
    }
  }
}

function interpret(message: string, host: string): Check {
  const space = message.indexOf(' ');
  const code = message.slice(0, space < 0 ? undefined : space);
  const text = space < 0 ? '' : message.slice(space + 1);
  let completion: any;
  try {
    completion = JSON.parse(text);
  } catch {
    completion = undefined;
  }
  const ok = code === '200' && completion?.object === 'text_completion';
  return {
    name: 'test completion',
    ok,
    detail: ok
      ? `HTTP 200 from inside the cluster (model ${completion.model})`
      : `HTTP ${code} from http://${host}/v1/completions, sent from a Job in the config cluster: ${text.slice(0, 160)} — check the model servers and the gateway's backends`,
  };
}
