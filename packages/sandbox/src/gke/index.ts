import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import { startRestServer } from '../rest.js';
import { startGrpcServer } from './grpc-server.js';
import { GkeModel, type ControlPlanes, type GkeDurations, type GkeState } from './model.js';
import { clusterManagerRoutes } from './rest-routes.js';
import { clusterManagerMethods } from './service.js';

export interface GkeOptions {
  clock: Clock;
  faults: Faults;
  controlPlanes: ControlPlanes;
  durations?: Partial<GkeDurations>;
  maxConcurrentOperations?: number;
  state?: GkeState;
  onChange?: () => void;
  grpcPort?: number;
  restPort?: number;
}

export interface GkeServers {
  model: GkeModel;
  /** host:port of ClusterManager over gRPC (CONTAINER_EMULATOR_HOST). */
  grpcHost: string;
  /** host:port of ClusterManager over REST (for gcloud's api_endpoint_overrides/container). */
  restHost: string;
  close(): Promise<void>;
}

/** GKE's ClusterManager over gRPC and REST, on one model. */
export async function startGke(options: GkeOptions): Promise<GkeServers> {
  const model = new GkeModel(options);
  const methods = clusterManagerMethods(model);
  const grpc = await startGrpcServer(methods, options, options.grpcPort);
  const rest = await startRestServer('container', clusterManagerRoutes(methods), options, options.restPort);
  return {
    model,
    grpcHost: grpc.host,
    restHost: rest.host,
    close: async () => {
      await Promise.all([grpc.close(), rest.close()]);
    },
  };
}

export { GkeModel, GkeError, DEFAULT_GKE_DURATIONS } from './model.js';
export { serverConfigFor, setOfferedVersions, type ServerConfig } from './server-config.js';
export type { ControlPlanes, GkeDurations, GkeState } from './model.js';
