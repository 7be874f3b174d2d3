// Bounds on what one HTTP request may make the server hold before any surface sees it, and
// the security headers of every answer. Oversized headers are refused by Node itself (431,
// no body); an over-long URL is refused here in the envelope of the surface it is under.
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { GatehouseError } from '../core/errors.js';

export const requestLimits = {
  /** Bytes of the request line's target and all headers together (Node's own default). */
  maxHeaderSize: 16 * 1024,
  /** Headers Node parses at most; later ones are dropped. */
  maxHeadersCount: 100,
  /** Characters of a request target (path and query). */
  maxUrlLength: 4096,
} as const;

/** `validation_failed` for a request target longer than the limit, else undefined. */
export function urlTooLong(url: string): GatehouseError | undefined {
  if (url.length <= requestLimits.maxUrlLength) return undefined;
  return new GatehouseError('validation_failed', { message: `The request URL is longer than ${requestLimits.maxUrlLength} characters.`, details: { limit: requestLimits.maxUrlLength } });
}

/**
 * Security headers for a JSON API: nothing may frame or sniff an answer. The only HTML page,
 * /docs (swagger-ui), loads its scripts and styles from this origin, which the policy allows.
 */
export const securityHeaderOptions: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
  },
  // Token verifiers elsewhere fetch the JWKS and browsers of allowed origins call the API.
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  referrerPolicy: { policy: 'no-referrer' },
};

/**
 * The security headers as helmet computes them from the options above, worked out once.
 * They are the same for every answer; helmet's Fastify plugin would rebuild its middleware
 * (and re-parse the CSP directives) on every request, which cost more than the validation
 * itself. Helmet sets them on a stand-in response here, and the server copies them.
 */
export const securityHeaders: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(securityHeaderOptions)({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
})();
