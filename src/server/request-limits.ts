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
 * Security headers of the HTML pages (/docs, swagger-ui), which load their scripts and styles
 * from this origin, as the policy allows: helmet's full set.
 */
export const documentSecurityHeaderOptions: HelmetOptions = {
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
  referrerPolicy: { policy: 'no-referrer' },
};

/**
 * The document headers as helmet computes them from the options above, worked out once:
 * helmet's Fastify plugin would rebuild its middleware (and re-parse the CSP directives) on
 * every request. Helmet sets them on a stand-in response here, and the server copies them.
 */
export const documentSecurityHeaders: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(documentSecurityHeaderOptions)({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  delete headers['strict-transport-security']; // sent over HTTPS only: see strictTransportSecurity
  return Object.freeze(headers);
})();

/**
 * HSTS, sent only on answers over HTTPS (the socket's own TLS, or `X-Forwarded-Proto: https`
 * from a trusted proxy): RFC 6797 §7.2 says a host must not send it over plain HTTP, where a
 * browser ignores it anyway.
 */
export const strictTransportSecurity = 'max-age=31536000; includeSubDomains';

/**
 * Security headers of every JSON answer: the set the OWASP REST Security Cheat Sheet names
 * for APIs. Nothing renders, frames or navigates from a JSON answer, so helmet's
 * document-only headers (Cross-Origin-Opener-Policy, Origin-Agent-Cluster, Referrer-Policy,
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection, and CORP `cross-origin`, which is what no header means) protect nothing
 * here, while Node checks and copies every header of every answer: on session validation
 * the twelve cost a fifth of the request's instructions. `no-store`: an answer about a
 * session or an account is never kept by a cache (a route that may be cached, the JWKS,
 * says so itself).
 */
export const apiSecurityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});
