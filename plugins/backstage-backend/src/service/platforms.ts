import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { SpillwayPlatformResponse } from '@spillway/backstage-plugin-spillway-common';
import type { ConfiguredPlatform, PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';
import type express from 'express';

/** What a template may offer for a service on the platform, from its configured spec. */
export function platformResponse(configured: ConfiguredPlatform): SpillwayPlatformResponse {
  return {
    name: configured.name,
    regions: configured.platform.clusters.map((cluster) => ({
      region: cluster.region,
      cluster: cluster.name,
      configCluster: cluster.configCluster,
    })),
  };
}

/** `GET /platforms/:name`: a configured platform's regions, for the templates' region picker. */
export function platformsRoute(options: {
  httpAuth: HttpAuthService;
  platforms: PlatformRegistry;
}): express.RequestHandler {
  const { httpAuth, platforms } = options;
  return async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const name = req.params.name!;
    const configured = platforms.get(name);
    if (!configured)
      throw new NotFoundError(
        `platform ${JSON.stringify(name)} is not configured in this Backstage (configured: ${platforms.describe()}) — choose another, or ask the Backstage operators to add it to spillway.platforms`,
      );
    res.json(platformResponse(configured));
  };
}
