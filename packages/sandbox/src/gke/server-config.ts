/**
 * GetServerConfig per location, as GKE answers it: the versions a location offers differ (a new
 * version reaches regions over days), so a test can set what one location offers.
 */
import { copy } from '../google/common.js';
import { SERVER_CONFIG, type GkeState } from './model.js';

export type ServerConfig = typeof SERVER_CONFIG;

export function serverConfigFor(state: GkeState, location: string): ServerConfig {
  return copy(state.serverConfigs?.[location] ?? SERVER_CONFIG);
}

/** From now on `location` offers these versions only (master, node and every channel's valid versions). */
export function setOfferedVersions(state: GkeState, location: string, versions: string[]) {
  const [newest = ''] = versions;
  (state.serverConfigs ??= {})[location] = {
    ...copy(SERVER_CONFIG),
    defaultClusterVersion: newest,
    validMasterVersions: [...versions],
    validNodeVersions: [...versions],
    channels: SERVER_CONFIG.channels.map((c) => ({
      ...c,
      defaultVersion: newest,
      validVersions: [...versions],
    })),
  };
}
