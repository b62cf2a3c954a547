import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/**
 * The vLLM model server per cluster, after the upstream gpu-deployment.yaml, made consistent with
 * the spec: the image's version decides the metric, the container port is the pool's target port
 * (EPP drops pods whose port does not match), the GPUs requested match gpusPerReplica.
 */
export const LORA_SYNCER_IMAGE = 'registry.k8s.io/gateway-api-inference-extension/lora-syncer:v1.0.1';

export const adaptersConfigMapName = (pool: string) => `${pool}-adapters`;

/** Where a model server runs: the nodes it selects and the extended resource its accelerators are. */
export interface ServerPlacement {
  nodeSelector: Record<string, string>;
  acceleratorResource: 'nvidia.com/gpu' | 'google.com/tpu';
}

export function modelServer(
  service: Service,
  placement: ServerPlacement,
  labels: Record<string, string>,
): KubeManifest[] {
  const pool = service.pool.name;
  const port = service.pool.targetPort;
  const { model } = service;
  const lora = model.loraAdapters.length > 0;
  const probe = {
    httpGet: { path: '/health', port: 'http', scheme: 'HTTP' },
    periodSeconds: 1,
    successThreshold: 1,
    timeoutSeconds: 1,
  };
  const args = [
    '--model',
    model.id,
    '--tensor-parallel-size',
    String(model.gpusPerReplica),
    '--port',
    String(port),
  ];
  if (lora) {
    args.push(
      '--enable-lora',
      '--max-loras',
      String(Math.max(2, model.loraAdapters.length)),
      '--max-lora-rank',
      '8',
      '--max-cpu-loras',
      '12',
    );
  }
  const deployment: KubeManifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: pool, namespace: service.namespace, labels: { ...labels, app: pool } },
    spec: {
      // No replicas: the HPA owns them, and a server-side apply must not reset its decision.
      selector: { matchLabels: { app: pool } },
      template: {
        metadata: { labels: { app: pool } },
        spec: {
          nodeSelector: placement.nodeSelector,
          containers: [
            {
              name: 'vllm',
              image: model.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
              args,
              env: [
                { name: 'PORT', value: String(port) },
                {
                  name: 'HUGGING_FACE_HUB_TOKEN',
                  valueFrom: { secretKeyRef: { name: model.huggingFaceToken.secretName, key: 'token' } },
                },
                ...(lora ? [{ name: 'VLLM_ALLOW_RUNTIME_LORA_UPDATING', value: 'true' }] : []),
              ],
              ports: [{ containerPort: port, name: 'http', protocol: 'TCP' }],
              // vLLM stops accepting connections on SIGTERM: give the load balancer time to notice.
              lifecycle: { preStop: { sleep: { seconds: 30 } } },
              livenessProbe: { ...probe, failureThreshold: 5 },
              readinessProbe: { ...probe, failureThreshold: 1 },
              startupProbe: {
                httpGet: probe.httpGet,
                failureThreshold: 600,
                initialDelaySeconds: 2,
                periodSeconds: 1,
              },
              resources: {
                limits: { [placement.acceleratorResource]: String(model.gpusPerReplica) },
                requests: { [placement.acceleratorResource]: String(model.gpusPerReplica) },
              },
              volumeMounts: [
                { mountPath: '/data', name: 'data' },
                { mountPath: '/dev/shm', name: 'shm' },
                ...(lora ? [{ name: 'adapters', mountPath: '/adapters' }] : []),
              ],
            },
          ],
          ...(lora
            ? {
                initContainers: [
                  {
                    name: 'lora-adapter-syncer',
                    image: LORA_SYNCER_IMAGE,
                    restartPolicy: 'Always',
                    imagePullPolicy: 'Always',
                    env: [{ name: 'DYNAMIC_LORA_ROLLOUT_CONFIG', value: '/config/configmap.yaml' }],
                    volumeMounts: [{ name: 'config-volume', mountPath: '/config' }],
                  },
                ],
              }
            : {}),
          restartPolicy: 'Always',
          // A Service named vllm would inject VLLM_PORT as tcp://…, which vLLM rejects.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 130,
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'shm', emptyDir: { medium: 'Memory' } },
            ...(lora
              ? [
                  { name: 'adapters', emptyDir: {} },
                  { name: 'config-volume', configMap: { name: adaptersConfigMapName(pool) } },
                ]
              : []),
          ],
        },
      },
    },
  };
  if (!lora) return [deployment];
  const adapters: KubeManifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: adaptersConfigMapName(pool), namespace: service.namespace, labels },
    data: {
      'configmap.yaml': [
        'vLLMLoRAConfig:',
        `  name: ${adaptersConfigMapName(pool)}`,
        `  port: ${port}`,
        `  defaultBaseModel: ${model.id}`,
        '  ensureExist:',
        '    models:',
        ...model.loraAdapters.flatMap((a) => [`    - id: ${a.name}`, `      source: ${a.source}`]),
        '',
      ].join('\n'),
    },
  };
  return [adapters, deployment];
}
