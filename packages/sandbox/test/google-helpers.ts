/**
 * Test helpers for the Google REST APIs: start them on 127.0.0.1 and call them as Google's own
 * actions do, through google-auth-library's OAuth2Client (a real REST client: gaxios, bearer token).
 */
import { OAuth2Client } from 'google-auth-library';
import { Clock } from '../src/clock.js';
import { Faults, type FaultPlan } from '../src/faults.js';
import { startGoogleApis, type GoogleApis, type GoogleApisOptions } from '../src/google/index.js';

export interface Harness {
  apis: GoogleApis;
  faults: Faults;
  clock: Clock;
  client: OAuth2Client;
  /** `http://host:port` + path of one API. */
  url(api: keyof GoogleApis['servers'], path: string): string;
  call<T = any>(
    api: keyof GoogleApis['servers'],
    method: string,
    path: string,
    data?: unknown,
  ): Promise<Reply<T>>;
}

export interface Reply<T> {
  status: number;
  data: T;
}

export function sandboxClient(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'sandbox', expiry_date: Date.now() + 3600_000 });
  return client;
}

/** Starts the APIs with 5 ms per simulated second (a 30 s operation takes 150 ms) unless told otherwise. */
export async function startHarness(
  plan: FaultPlan = {},
  options: Partial<GoogleApisOptions> = {},
  msPerSecond = 5,
): Promise<Harness> {
  const clock = new Clock(msPerSecond);
  const faults = new Faults(plan);
  const apis = await startGoogleApis({ clock, faults, ...options });
  const client = sandboxClient();
  const url = (api: keyof GoogleApis['servers'], path: string) => `${apis.servers[api].url}${path}`;
  async function call<T>(
    api: keyof GoogleApis['servers'],
    method: string,
    path: string,
    data?: unknown,
  ): Promise<Reply<T>> {
    try {
      const res = await client.request<T>({
        url: url(api, path),
        method: method as 'GET',
        data,
        retry: false,
      });
      return { status: res.status, data: res.data };
    } catch (error: any) {
      if (!error?.response) throw error;
      return { status: error.response.status, data: error.response.data };
    }
  }
  return { apis, faults, clock, client, url, call };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `get` until `done` says so (at most `ms`). */
export async function until<T>(get: () => Promise<T>, done: (value: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(10);
  }
}
