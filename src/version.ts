/** The package version, reported as the instrumentation scope version and by /v1/status. */
export const VERSION = '0.1.0';
