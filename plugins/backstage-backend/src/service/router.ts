import type {
  AuthService,
  CacheService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ServiceNotFoundError, ServiceRecordInvalidError } from '@spillway/shared';
import express from 'express';
import Router from 'express-promise-router';
import type { HealthSettings, PlatformRegistry } from '../config.js';
import { serviceOfEntity } from './annotations.js';
import { SharedReads, type HealthReader, type SpillwayHealthResponse } from './health.js';

export interface RouterOptions {
  config: RootConfigService;
  logger: LoggerService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  cache: CacheService;
  platforms: PlatformRegistry;
  settings: HealthSettings;
  /** The upstream read; injectable so tests can count and slow it down. */
  readHealth: HealthReader;
}

/** `GET /health/:namespace/:kind/:name`: the regional health of the entity's Spillway service. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { auth, httpAuth, permissions, catalog, platforms, settings, readHealth } = options;
  const reads = new SharedReads<SpillwayHealthResponse>(options.cache, settings.cacheTtlMs);
  const router = Router();
  router.use(express.json());

  router.get('/health/:namespace/:kind/:name', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const { namespace, kind, name } = req.params;
    const entityRef = stringifyEntityRef({ kind, namespace, name }).toLocaleLowerCase('en-US');
    const [decision] = await permissions.authorize(
      [{ permission: catalogEntityReadPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision?.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`you may not read ${entityRef} in the catalog`);
    const entity = await catalog.getEntityByRef(entityRef, {
      credentials: await auth.getOwnServiceCredentials(),
    });
    if (!entity) throw new NotFoundError(`no entity ${entityRef} in the catalog`);
    const { platform, service } = serviceOfEntity(entity, entityRef, platforms);
    const key = `health:${entityRef}:${platform.name}:${service.namespace}/${service.name}`;
    const answer = await reads.get(key, async () => {
      try {
        const health = await withDeadline(
          readHealth(platform, service, { regionTimeoutMs: settings.regionTimeoutMs }),
          readDeadlineMs(settings.regionTimeoutMs),
          platform.name,
        );
        return { entityRef, platform: platform.name, service, health, fetchedAt: new Date().toISOString() };
      } catch (error) {
        throw error instanceof ServiceUnavailableError ? error : upstreamError(error as Error, platform.name);
      }
    });
    res.json(answer);
  });

  router.use(MiddlewareFactory.create({ config: options.config, logger: options.logger }).error());
  return router;
}

/**
 * The whole read's deadline: the record in the config cluster, then every region in parallel (each
 * within its own deadline). A config cluster that hangs must not hold the request forever.
 */
export function readDeadlineMs(regionTimeoutMs: number): number {
  return 2 * regionTimeoutMs + 1_000;
}

async function withDeadline<T>(read: Promise<T>, ms: number, platform: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ServiceUnavailableError(
            `platform ${platform} did not answer within ${ms / 1000} s — its config cluster may be unreachable from the backend; check the cluster and the network`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors of the upstream read, as the HTTP errors a caller can act on. */
function upstreamError(error: Error, platform: string): Error {
  if (error instanceof ServiceNotFoundError) return new NotFoundError(`${error.message} — run apply first`);
  if (error instanceof ServiceRecordInvalidError) return error;
  return new ServiceUnavailableError(
    `cannot read the health of platform ${platform}: ${error.message.split('\n')[0]} — check the backend's access to the platform's project and its config cluster`,
  );
}
