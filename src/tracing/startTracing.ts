import { UserError } from '../errors.ts';
// Types only: the SDK module itself is imported when traces are on.
import type { TraceExporterName } from './tracingSdk.ts';

/** One run's use of the process's tracing. */
export interface Tracing {
  /** What `OTEL_TRACES_EXPORTER` chose. */
  exporter: TraceExporterName;
  /** Ends this run's use: the spans still queued are exported (the provider stays, see startTracing). */
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

/**
 * The process's one tracer provider, registered by the first startTracing and kept until the
 * process ends. The API takes one global registration: a provider shut down stays registered, a
 * second registration is refused, and `tracer` (traces.ts) keeps the provider it first delegated
 * to — so shutting it down when its last run stopped (the last index of a `run` restarting at a
 * SIGHUP) ended the process's traces for good. The batch processor's timer does not keep the
 * process alive.
 */
let shared: Promise<{ flush(): Promise<void> }> | null = null;

/**
 * Starts the OpenTelemetry SDK when the environment asks for traces (traceExporterFrom) and
 * returns how to stop using it; otherwise loads nothing and returns null, and every span stays the
 * API's no-op. The SDK (a few MiB) is imported only then, so a command that does not trace never
 * pays for it. The provider is the process's: every pipeline in the process shares it, with the
 * exporter the first one chose, and each one's shutdown flushes it.
 */
export async function startTracing(): Promise<Tracing | null> {
  // The SDK reads the rest of the variables (endpoint, headers, sampler) from process.env itself.
  const exporter = traceExporterFrom(process.env);
  if (exporter === null) return null;
  shared ??= register(exporter).catch((error: unknown) => {
    // Not registered: the next start tries again.
    shared = null;
    throw error;
  });
  const provider = await shared;
  return { exporter, shutdown: () => provider.flush() };
}

async function register(exporter: TraceExporterName): Promise<{ flush(): Promise<void> }> {
  const { registerTracingProvider, exporterNamed } = await import('./tracingSdk.ts');
  return registerTracingProvider(await exporterNamed(exporter), { batch: true });
}
