/**
 * Cloud Monitoring's Prometheus HTTP API (Managed Service for Prometheus), instant queries:
 *
 *   GET  /v1/projects/P/location/global/prometheus/api/v1/query?query=Q[&time=T]
 *   POST /v1/projects/P/location/global/prometheus/api/v1/query   (JSON body {query, time} or the query string)
 *   → {status: "success", data: {resultType: "vector", result: [{metric: {…}, value: [T, "0.42"]}]}}
 *
 * The supported query subset is promql.ts's: instant vector selectors with label matchers
 * (= != =~ !~), and sum/avg/min/max/count with by (…) or without (…), e.g.
 *   vllm:kv_cache_usage_perc{cluster="gke-east"}
 *   avg by (cluster) (vllm:kv_cache_usage_perc)
 * `time` is RFC 3339 or unix seconds (default: now). Samples come from a MetricSource the sandbox
 * wires to its simulated model servers. Fault-plan method name: prometheus.query.
 * A form-encoded POST works as with Prometheus. An unsupported or malformed query is a 400 in
 * Prometheus's own shape: {status: "error", errorType: "bad_data", error}.
 */
import { RawResponse, type RestRequest } from '../rest.js';
import { tappedRoutes, type ApiDeps, type GoogleApi } from './common.js';
import { PromQLError, evaluate, formatValue, parseQuery, type MetricSource } from './promql.js';

export type { MetricSource, Sample } from './promql.js';

/** The API has no state of its own; the samples live in the source. */
export type MonitoringState = Record<string, never>;

export interface MonitoringOptions {
  /** Where samples come from; may be replaced later (the sandbox wires it to the model servers). */
  source?: MetricSource;
}

export interface MonitoringApi extends GoogleApi<MonitoringState> {
  setSource(source: MetricSource): void;
}

class BadData extends Error {}

function badData(message: string) {
  return new BadData(message);
}

function parseTime(text: string | undefined, nowMs: number): number {
  if (text === undefined || text === '') return nowMs / 1000;
  const seconds = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(seconds))
    throw badData(`invalid parameter "time": cannot parse "${text}" to a valid timestamp`);
  return seconds;
}

export function monitoringApi(deps: ApiDeps, options: MonitoringOptions = {}): MonitoringApi {
  let source: MetricSource = options.source ?? (() => []);

  async function query(req: RestRequest) {
    try {
      return await evaluateQuery(req);
    } catch (error) {
      if (error instanceof BadData)
        return new RawResponse(400, { status: 'error', errorType: 'bad_data', error: error.message });
      throw error;
    }
  }

  async function evaluateQuery(req: RestRequest) {
    const param = (name: string) => {
      const fromBody = req.body && typeof req.body === 'object' ? req.body[name] : undefined;
      return fromBody !== undefined ? String(fromBody) : (req.query.get(name) ?? undefined);
    };
    const text = param('query');
    if (!text) throw badData('invalid parameter "query": query must not be empty');
    const time = Math.round(parseTime(param('time'), deps.clock.now().getTime()) * 1000) / 1000;
    try {
      const parsed = parseQuery(text);
      const samples = await source(parsed.metric, req.params.project!);
      const result = evaluate(parsed, samples, time).map((s) => ({
        metric: s.metric,
        value: [time, formatValue(s.value)],
      }));
      return { status: 'success', data: { resultType: 'vector', result } };
    } catch (error) {
      if (error instanceof PromQLError) throw badData(`invalid parameter "query": ${error.message}`);
      throw error;
    }
  }

  const path = '/v1/projects/{project}/location/global/prometheus/api/v1/query';
  const { routes, deps: restDeps } = tappedRoutes(deps, [
    { method: 'GET', path, name: 'prometheus.query', handler: query },
    { method: 'POST', path, name: 'prometheus.query', handler: query },
  ]);
  return { api: 'monitoring', routes, state: {}, deps: restDeps, setSource: (s) => void (source = s) };
}
