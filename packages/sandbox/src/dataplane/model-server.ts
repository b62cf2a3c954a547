/**
 * A simulated vLLM replica (issue 3, "Data plane"): the OpenAI completions API, /health, and
 * /metrics with a KV-cache gauge that follows the requests in flight. `capacity` sequences fill
 * the KV cache; requests beyond it wait, as vLLM's scheduler makes them wait.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import { BodyTooLarge, closeServer, listen, readBody, sendJson } from './http.js';
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE, type MetricFamily } from './metrics.js';

/** From vLLM v0.10.2 the KV-cache gauge is `vllm:kv_cache_usage_perc`; before, `vllm:gpu_cache_usage_perc`. */
export type KvCacheMetric = 'vllm:kv_cache_usage_perc' | 'vllm:gpu_cache_usage_perc';

export interface ModelServerOptions {
  modelId: string;
  loraAdapters?: readonly string[];
  kvCacheMetric: KvCacheMetric;
  /** Concurrent sequences that fill the KV cache (default 16). */
  capacity?: number;
  /** Simulated service time of one request (default 2 s). */
  secondsPerRequest?: number;
  clock: Clock;
  port?: number;
}

export interface ModelServer {
  readonly url: string;
  readonly port: number;
  setHealthy(healthy: boolean): void;
  /** KV-cache utilization in [0,1], as /metrics reports it. */
  utilization(): number;
  /** Requests running or waiting. */
  inFlight(): number;
  /** Highest inFlight() seen since start or resetStats(). */
  peakInFlight(): number;
  /** Completions answered since start or resetStats(). */
  served(): number;
  resetStats(): void;
  close(): Promise<void>;
}

/** vLLM's default when a request gives no max_tokens is model-dependent; OpenAI's is 16. */
const DEFAULT_MAX_TOKENS = 16;

interface Job {
  state: 'waiting' | 'running' | 'done';
  start: () => void;
  started: Promise<void>;
}

/** FIFO admission into `capacity` running slots, like vLLM's scheduler with a full KV cache. */
class Scheduler {
  running = 0;
  readonly waiting: Job[] = [];
  constructor(private readonly capacity: number) {}

  submit(): Job {
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    const job: Job = { state: 'waiting', start, started };
    if (this.running < this.capacity) this.run(job);
    else this.waiting.push(job);
    return job;
  }

  /** Ends a job, finished or aborted; a waiting job's `started` resolves with state 'done'. */
  release(job: Job) {
    if (job.state === 'done') return;
    if (job.state === 'running') this.running--;
    else this.waiting.splice(this.waiting.indexOf(job), 1);
    job.state = 'done';
    job.start();
    while (this.running < this.capacity && this.waiting.length > 0) this.run(this.waiting.shift()!);
  }

  private run(job: Job) {
    job.state = 'running';
    this.running++;
    job.start();
  }
}

function promptTokens(prompt: unknown): number {
  const text = Array.isArray(prompt) ? prompt.join(' ') : typeof prompt === 'string' ? prompt : '';
  return Math.max(1, Math.ceil(text.length / 4));
}

function completionText(tokens: number): string {
  const words = ['The', 'simulated', 'replica', 'answers', 'with', 'plausible', 'filler', 'text.'];
  return Array.from({ length: Math.min(tokens, 256) }, (_, i) => words[i % words.length]).join(' ');
}

function openAiError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  param: string | null = null,
) {
  sendJson(res, status, { error: { message, type, param, code: status } });
}

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const capacity = opts.capacity ?? 16;
  if (!(capacity > 0)) throw new Error(`capacity must be positive, got ${capacity}`);
  const secondsPerRequest = opts.secondsPerRequest ?? 2;
  const models = [opts.modelId, ...(opts.loraAdapters ?? [])];
  const scheduler = new Scheduler(capacity);
  let healthy = true;
  let served = 0;
  let peak = 0;
  let successTotal = 0;

  const inFlight = () => scheduler.running + scheduler.waiting.length;
  const utilization = () => Math.min(1, scheduler.running / capacity);

  function metrics(): string {
    const model = { model_name: opts.modelId };
    const families: MetricFamily[] = [
      {
        name: 'vllm:num_requests_running',
        help: 'Number of requests in model execution batches.',
        type: 'gauge',
        samples: [{ labels: model, value: scheduler.running }],
      },
      {
        name: 'vllm:num_requests_waiting',
        help: 'Number of requests waiting to be processed.',
        type: 'gauge',
        samples: [{ labels: model, value: scheduler.waiting.length }],
      },
      {
        name: opts.kvCacheMetric,
        help: 'KV-cache usage. 1 means 100 percent usage.',
        type: 'gauge',
        samples: [{ labels: model, value: utilization() }],
      },
      {
        name: 'vllm:request_success_total',
        help: 'Count of successfully processed requests.',
        type: 'counter',
        samples: [{ labels: { ...model, finished_reason: 'length' }, value: successTotal }],
      },
      {
        name: 'vllm:lora_requests_info',
        help: 'Running stats on lora requests.',
        type: 'gauge',
        samples: [
          {
            labels: {
              max_lora: String(Math.max(1, models.length - 1)),
              running_lora_adapters: '',
              waiting_lora_adapters: '',
            },
            value: Math.floor(Date.now() / 1000),
          },
        ],
      },
    ];
    return formatPrometheus(families);
  }

  async function complete(req: IncomingMessage, res: ServerResponse) {
    let request: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('body is not a JSON object');
      request = parsed as Record<string, unknown>;
    } catch (err) {
      if (err instanceof BodyTooLarge) return openAiError(res, 413, 'BadRequestError', err.message);
      return openAiError(res, 400, 'BadRequestError', `Invalid request body: ${(err as Error).message}`);
    }
    const model = request.model === undefined ? opts.modelId : request.model;
    if (typeof model !== 'string' || !models.includes(model)) {
      return openAiError(
        res,
        404,
        'NotFoundError',
        `The model \`${String(model)}\` does not exist.`,
        'model',
      );
    }
    const maxTokens =
      typeof request.max_tokens === 'number' && request.max_tokens > 0
        ? Math.floor(request.max_tokens)
        : DEFAULT_MAX_TOKENS;

    const job = scheduler.submit();
    peak = Math.max(peak, inFlight());
    // vLLM aborts a sequence whose client went away; so does the simulation.
    res.on('close', () => scheduler.release(job));
    const aborted = () => job.state === 'done';
    await job.started;
    if (aborted()) return;
    await opts.clock.sleep(secondsPerRequest);
    if (aborted()) return;
    scheduler.release(job);
    served++;
    successTotal++;
    const prompt = promptTokens(request.prompt);
    sendJson(res, 200, {
      id: `cmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'text_completion',
      created: Math.floor(opts.clock.now().getTime() / 1000),
      model,
      choices: [{ text: completionText(maxTokens), index: 0, logprobs: null, finish_reason: 'length' }],
      usage: { prompt_tokens: prompt, completion_tokens: maxTokens, total_tokens: prompt + maxTokens },
    });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/completions') {
      complete(req, res).catch(() => res.destroy());
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(healthy ? 200 : 503, { 'content-length': 0 }).end();
    } else if (req.method === 'GET' && path === '/metrics') {
      const text = metrics();
      res
        .writeHead(200, {
          'content-type': PROMETHEUS_CONTENT_TYPE,
          'content-length': Buffer.byteLength(text),
        })
        .end(text);
    } else if (req.method === 'GET' && path === '/v1/models') {
      const created = Math.floor(opts.clock.now().getTime() / 1000);
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({
          id,
          object: 'model',
          created,
          owned_by: 'vllm',
          root: opts.modelId,
          parent: id === opts.modelId ? null : opts.modelId,
        })),
      });
    } else {
      sendJson(res, 404, { detail: 'Not Found' });
    }
  });
  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setHealthy: (value) => void (healthy = value),
    utilization,
    inFlight,
    peakInFlight: () => peak,
    served: () => served,
    resetStats: () => {
      served = 0;
      peak = inFlight();
    },
    close: () => closeServer(server),
  };
}
