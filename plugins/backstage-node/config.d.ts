/** Spillway's app-config (`spillway:`), read by the backend plugin and the scaffolder module (schema of @spillway/backstage-plugin-spillway-node). */
export interface Config {
  spillway?: {
    /**
     * The only platforms the backend talks to. An entity's `spillway.dev/platform` annotation and a
     * service's `spec.platform` choose among these names; they never carry a project or a URL.
     */
    platforms?: Array<{
      /**
       * The InferencePlatform's metadata.name; shown to template users to pick from.
       * @visibility frontend
       */
      name: string;
      /**
       * The Google Cloud project the platform is in; the spec file must agree.
       * @visibility backend
       */
      projectId: string;
      /**
       * Path (relative to the backend's working directory) of the platform team's spec file with
       * this one InferencePlatform; checked at startup.
       * @visibility backend
       */
      specFile: string;
    }>;
    cache?: {
      /**
       * How long a health answer is kept per entity, in seconds (default 30; 0 turns the cache off).
       * @visibility backend
       */
      ttlSeconds?: number;
    };
    /**
     * The deadline of each region's health read, in seconds (default 10): a slower region is
     * reported as unreadable and never holds the others up.
     * @visibility backend
     */
    regionTimeoutSeconds?: number;
    /**
     * The environment variables of this backend that spillway:apply may read a Hugging Face token
     * from (a service's `model.huggingFaceToken.fromEnv`); default [HF_TOKEN].
     * @visibility backend
     */
    tokenEnvironmentVariables?: string[];
  };
}
