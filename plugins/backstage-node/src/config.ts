import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '@backstage/config';
import { checkPlatformText, type Platform, type SpecText } from '@spillway/shared';

/** One platform an operator lists in app-config: the only platforms this backend talks to. */
export interface ConfiguredPlatform {
  name: string;
  projectId: string;
  /** The platform team's InferencePlatform spec, as read at startup (checkSpec's `reference` text). */
  text: SpecText;
  platform: Platform;
}

/** The platforms of `spillway.platforms`, by name. */
export class PlatformRegistry {
  private readonly byName: Map<string, ConfiguredPlatform>;

  constructor(platforms: ConfiguredPlatform[]) {
    this.byName = new Map(platforms.map((p) => [p.name, p]));
  }

  get(name: string): ConfiguredPlatform | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** `a, b` or `none (spillway.platforms is empty)`, for messages. */
  describe(): string {
    return this.byName.size ? this.names().join(', ') : 'none (spillway.platforms is empty)';
  }
}

/**
 * Reads `spillway.platforms` and checks every platform's spec file. Throws a message naming the
 * config key, so a misconfigured backend fails at startup instead of on the first request.
 */
export async function loadPlatforms(config: Config, cwd = process.cwd()): Promise<PlatformRegistry> {
  const entries = config.getOptionalConfigArray('spillway.platforms') ?? [];
  const platforms: ConfiguredPlatform[] = [];
  for (const [index, entry] of entries.entries()) {
    const key = `spillway.platforms[${index}]`;
    const name = entry.getString('name');
    const projectId = entry.getString('projectId');
    const specFile = entry.getString('specFile');
    if (platforms.some((p) => p.name === name))
      throw new Error(`${key}.name: platform ${name} is listed twice — list each platform once`);
    let text: string;
    try {
      text = await readFile(resolve(cwd, specFile), 'utf8');
    } catch (error) {
      throw new Error(
        `${key}.specFile: cannot read ${specFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}) — set it to the path of platform ${name}'s InferencePlatform spec, relative to the backend's working directory`,
      );
    }
    const specText: SpecText = { file: specFile, text, reference: true };
    try {
      const platform = checkPlatformText(specText, { name, projectId });
      platforms.push({ name, projectId, text: specText, platform });
    } catch (error) {
      throw new Error(
        `${key}.specFile: ${specFile} is not platform ${name}'s spec:\n${(error as Error).message}`,
      );
    }
  }
  return new PlatformRegistry(platforms);
}

export interface HealthSettings {
  cacheTtlMs: number;
  regionTimeoutMs: number;
}

export function readHealthSettings(config: Config): HealthSettings {
  return {
    cacheTtlMs: (config.getOptionalNumber('spillway.cache.ttlSeconds') ?? 30) * 1000,
    regionTimeoutMs: (config.getOptionalNumber('spillway.regionTimeoutSeconds') ?? 10) * 1000,
  };
}

/**
 * The environment variables apply may read a Hugging Face token from (`fromEnv`): only these reach
 * the engine, so a template cannot make the backend copy another of the host's variables into a
 * cluster Secret.
 */
export function readTokenVariables(config: Config): string[] {
  return config.getOptionalStringArray('spillway.tokenEnvironmentVariables') ?? ['HF_TOKEN'];
}
