import { UserError } from '../errors.ts';
// Types only: the SDK module itself is imported when traces are on.
import type { TraceExporterName } from './tracingSdk.ts';

/** Stops tracing: the spans still queued are exported first. */
export interface Tracing {
  /** What `OTEL_TRACES_EXPORTER` chose. */
  exporter: TraceExporterName;
  shutdown(): Promise<void>;
}

/**
 * Which exporter the standard OTEL_* variables ask for, or null for none: traces are off unless
 * `OTEL_TRACES_EXPORTER` names one or an OTLP endpoint is set (the SDK's own default is OTLP to
 * localhost, which an indexer should not start sending to because nothing was configured).
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn them off.
 */
export function traceExporterFrom(env: NodeJS.ProcessEnv): TraceExporterName | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const named = env.OTEL_TRACES_EXPORTER?.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '') ?? [];
  if (named.length === 0) return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
  if (named.includes('none')) return null;
  const [name] = named;
  if (named.length > 1 || (name !== 'otlp' && name !== 'console')) {
    throw new UserError(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: fedsearch exports traces with one of otlp, console or none`);
  }
  return name;
}

/** The process's one tracer provider (it is global) and how many runs use it. */
let shared: { started: Promise<Tracing | null>; users: number } | null = null;

/**
 * Starts the OpenTelemetry SDK when the environment asks for traces (traceExporterFrom) and
 * returns how to stop it; otherwise loads nothing and returns null, and every span stays the
 * API's no-op. The SDK (a few MiB) is imported only then, so a command that does not trace never
 * pays for it. The provider is the process's: a second pipeline in the process shares it, and the
 * last shutdown flushes it.
 */
export async function startTracing(): Promise<Tracing | null> {
  // The SDK reads the rest of the variables (endpoint, headers, sampler) from process.env itself.
  const exporter = traceExporterFrom(process.env);
  if (exporter === null) return null;
  shared ??= { started: register(exporter), users: 0 };
  const current = shared;
  const tracing = await current.started;
  if (tracing === null) return null;
  current.users++;
  return {
    exporter,
    async shutdown() {
      if (--current.users > 0) return;
      if (shared === current) shared = null;
      await tracing.shutdown();
    },
  };
}

async function register(exporter: TraceExporterName): Promise<Tracing> {
  const { registerTracing, exporterNamed } = await import('./tracingSdk.ts');
  return { exporter, shutdown: registerTracing(await exporterNamed(exporter), { batch: true }) };
}
