import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '../../src/semconv/attributes.js';

/** `server.address` / `server.port` of a client's base URL (default ports filled in); {} when unparsable. */
export function serverAttributes(baseURL: string | undefined): Attributes {
  if (baseURL === undefined) return {};
  try {
    const url = new URL(baseURL);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}
