import type { ClusterRef, ControllerContext } from './context.js';
import { MANAGER } from './fleet.js';

/**
 * Jobs that send an HTTP request with curl (verify's test completion) run here: the sandbox
 * makes the request as the Pod would from inside the VPC, and reports as the Pod would, through
 * its termination message. Other Jobs stay pending (the sandbox runs no containers).
 */
export class Jobs {
  private readonly running = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  reconcile(cluster: ClusterRef) {
    const store = cluster.server.store;
    for (const job of store.list('batch/v1', 'Job')) {
      const container = job.spec?.template?.spec?.containers?.[0];
      if (!String(container?.image ?? '').startsWith('curlimages/curl')) continue;
      const key = `${cluster.key}/${job.metadata.uid}`;
      if (this.running.has(key) || job.status?.succeeded || job.status?.failed) continue;
      this.running.add(key);
      const env = Object.fromEntries(
        (container.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? '']),
      );
      void this.run(cluster, job.metadata.namespace!, job.metadata.name, env).finally(() =>
        this.running.delete(key),
      );
    }
  }

  private async run(cluster: ClusterRef, ns: string, name: string, env: Record<string, string>) {
    const store = cluster.server.store;
    const pod = `${name}-${Math.random().toString(36).slice(2, 7)}`;
    try {
      store.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: ns, labels: { 'job-name': name } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'curl', image: 'curlimages/curl' }] },
      });
    } catch {
      return; // refused at admission: the Job stays pending and is tried again, as Kubernetes does
    }
    let message: string;
    try {
      const response = await fetch(env.TARGET_URL!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(env.OBJECTIVE ? { 'x-gateway-inference-objective': env.OBJECTIVE } : {}),
        },
        body: env.REQUEST_BODY,
        signal: AbortSignal.timeout(this.ctx.clock.wallMs(Number(env.TIMEOUT || 30))),
      });
      message = `${response.status} ${(await response.text()).slice(0, 2000)}`;
    } catch (error) {
      message = `000 curl: ${(error as Error).message}`;
    }
    if (!store.get('v1', 'Pod', ns, pod) || !store.get('batch/v1', 'Job', ns, name)) return; // deleted meanwhile
    store.patchStatus('v1', 'Pod', ns, pod, {
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'curl',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed', message } },
        },
      ],
    });
    store.patchStatus(
      'batch/v1',
      'Job',
      ns,
      name,
      { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
      { manager: MANAGER },
    );
  }
}
