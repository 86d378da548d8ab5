/** Where one signal's telemetry goes: the standard values of OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER that tollgate.start() honours. */
export type ExporterName = 'otlp' | 'console' | 'none';
