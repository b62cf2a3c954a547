import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The ClusterManager service as @google-cloud/container ships it: the same protos its client uses. */
export function loadClusterManager(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const containerPkg = require.resolve('@google-cloud/container/package.json');
  const containerProtos = join(dirname(containerPkg), 'build', 'protos');
  const gaxIndex = createRequire(containerPkg).resolve('google-gax');
  const gaxProtos = join(dirname(gaxIndex), '..', 'protos');
  const definition = protoLoader.loadSync('google/container/v1/cluster_service.proto', {
    includeDirs: [containerProtos, gaxProtos],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  return pkg.google.container.v1.ClusterManager.service as grpc.ServiceDefinition;
}
