import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../clock.js';
import type { CallContext, Faults, InjectedError } from '../faults.js';
import { loadClusterManager } from './protos.js';
import { GkeError } from './model.js';
import { parseTarget } from './names.js';
import type { Method } from './service.js';
import { encodeStatus } from './status-details.js';

const CODES: Record<string, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
};

const HTTP_TO_GRPC: Record<number, grpc.status> = {
  403: grpc.status.PERMISSION_DENIED,
  409: grpc.status.ABORTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  500: grpc.status.INTERNAL,
  503: grpc.status.UNAVAILABLE,
};

/** ClusterManager over gRPC (plain text, as emulators are reached), the protocol @google-cloud/container speaks. */
export async function startGrpcServer(
  methods: Record<string, Method>,
  deps: { faults: Faults; clock: Clock },
  port = 0,
) {
  const server = new grpc.Server();
  const service = loadClusterManager();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) {
    const originalName = (service[name] as { originalName?: string }).originalName ?? name;
    const rpc = methods[name] ?? methods[originalName];
    implementation[name] = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      if (!rpc) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not served by the sandbox.` });
        return;
      }
      handle(name, rpc, call.request, deps).then(
        (value) => callback(null, value),
        (error) => callback(error),
      );
    };
  }
  server.addService(service, implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    host: `127.0.0.1:${bound}`,
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Where a call lands (project, location, cluster), for fault rules that depend on it. */
function contextOf(request: any): CallContext {
  try {
    const t = parseTarget(request);
    return {
      project: t.project,
      location: t.location,
      cluster: t.cluster ?? request?.cluster?.name,
      request,
    };
  } catch {
    return { request };
  }
}

/** An injected error as a gRPC status: the code its canonical name or HTTP status says, details in the trailer. */
function grpcError(error: InjectedError) {
  const code =
    (error.statusName ? CANONICAL[error.statusName] : undefined) ??
    HTTP_TO_GRPC[error.status] ??
    grpc.status.UNAVAILABLE;
  const metadata = new grpc.Metadata();
  if (error.details?.length)
    metadata.set('grpc-status-details-bin', encodeStatus(code, error.message, error.details));
  return { code, details: error.message, metadata };
}

const CANONICAL: Record<string, grpc.status> = {
  ...CODES,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  ABORTED: grpc.status.ABORTED,
};

async function handle(name: string, rpc: Method, request: unknown, deps: { faults: Faults; clock: Clock }) {
  const decision = deps.faults.decide('container', name, contextOf(request));
  if (decision.latencySeconds) await deps.clock.sleep(decision.latencySeconds);
  if (decision.error) throw grpcError(decision.error);
  try {
    const result = await rpc(request, decision);
    if (decision.lostResponse) {
      throw {
        code: grpc.status.UNAVAILABLE,
        details: 'The response was lost (injected); the request may have been applied.',
      };
    }
    return result;
  } catch (error) {
    if (error instanceof GkeError)
      throw { code: CODES[error.status] ?? grpc.status.UNKNOWN, details: error.message };
    throw error;
  }
}
