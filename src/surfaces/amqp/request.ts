// The AMQP framing of the account messages (SPEC §6, v2 over AMQP): reads a delivered
// message into a message call (type, body, credential, database) and writes an outcome as
// the reply (headers status_code, status_message, processing_time_ns; body {data}). The
// operation and the field mapping are those of the v2 HTTP surface: `runMessage` with `v2Framing`.
import { isIP } from 'node:net';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import type { Core } from '../../app.js';
import { fail, GatehouseError, toCatalogError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { parseJsonInput } from '../../core/json-input.js';
import { messagesOf, runMessage, v2Framing, type MessageOutcome } from '../messages/framing.js';

// Bytes are decoded strictly, as on HTTP: invalid UTF-8 would otherwise become U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A correlation id kept for logs and the context when it is sane; the reply echoes it whatever it is. */
const acceptableCorrelationId = /^[\w.:@-]{1,128}$/;

const jsonMediaType = /^\s*application\/json\s*(;.*)?$/i;

export interface AmqpReply {
  content: Buffer;
  headers: { status_code: number; status_message: string; processing_time_ns: number; node_id: string };
}

/** A header as text: amqplib hands long strings over as strings or, from some clients, as bytes. */
function headerText(properties: MessageProperties, name: string): string | undefined {
  const value: unknown = properties.headers?.[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (Buffer.isBuffer(value)) {
    try {
      return utf8.decode(value) || undefined;
    } catch {
      fail('validation_failed', { message: `The ${name} header is not valid UTF-8.`, details: { field: name } });
    }
  }
  fail('validation_failed', { message: `The ${name} header must be a string.`, details: { field: name } });
}

/** The transport's own checks, before the message reaches `runMessage`; throws a catalog error. */
function readBody(core: Core, message: ConsumeMessage): unknown {
  const { config } = core;
  const { properties, content } = message;
  if (content.length > config.bodyLimitBytes) {
    fail('payload_too_large', { message: `The message is larger than ${config.bodyLimitBytes} bytes.`, details: { limit_bytes: config.bodyLimitBytes } });
  }
  // No content_type is taken as JSON (many AMQP clients leave it out); another one is refused.
  if (properties.contentType !== undefined && !jsonMediaType.test(properties.contentType)) fail('unsupported_media_type');
  if (properties.contentEncoding !== undefined && !/^\s*identity\s*$/i.test(properties.contentEncoding)) {
    fail('unsupported_media_type', { message: 'Encoded messages are not accepted; send plain JSON.' });
  }
  const type = properties.type;
  if (typeof type !== 'string' || type === '') fail('validation_failed', { message: 'The message has no type property (the message name).', details: { field: 'type' } });
  // As on HTTP, where an unknown route is 404 before its body is read.
  if (!messagesOf(core).has(type)) fail('not_found', { message: `No such message: ${type.slice(0, 64)}.` });
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    fail('validation_failed', { message: 'The message is not valid UTF-8.' });
  }
  return text.trim() === '' ? undefined : parseJsonInput(text, { maxDepth: config.bodyMaxDepth }, 'message');
}

export function correlationIdOf(message: ConsumeMessage): string {
  const sent: unknown = message.properties.correlationId;
  return typeof sent === 'string' && acceptableCorrelationId.test(sent) ? sent : newId();
}

/** Runs one delivered message; never throws. `log` gets unexpected errors with the correlation id. */
export async function runAmqpMessage(core: Core, message: ConsumeMessage, log: (err: unknown, correlationId: string) => void): Promise<MessageOutcome> {
  const correlationId = correlationIdOf(message);
  let body: unknown;
  let credential: string | undefined;
  let databaseName: string | undefined;
  try {
    body = readBody(core, message);
    credential = headerText(message.properties, 'jwt');
    databaseName = headerText(message.properties, 'database');
  } catch (err) {
    return { ok: false, error: toCatalogError(err) };
  }
  const appId: unknown = message.properties.appId;
  // The broker hides the end user's address. A back-end service may pass it on in the
  // `client_address` header (an IP address), so per-address limits count per end user;
  // without it they count per broker user, shared by everything that service relays.
  let clientAddress: string;
  try {
    const given = headerText(message.properties, 'client_address');
    clientAddress = given !== undefined && isIP(given) !== 0 ? given : `amqp:${typeof message.properties.userId === 'string' ? message.properties.userId : 'anonymous'}`;
  } catch (err) {
    return { ok: false, error: toCatalogError(err) };
  }
  return runMessage(core, v2Framing, {
    name: message.properties.type as string,
    body,
    credential,
    context: async () => ({
      database: await core.directory.resolve(databaseName),
      caller: { kind: 'anonymous' },
      correlationId,
      address: clientAddress,
      client: typeof appId === 'string' ? appId.slice(0, 256) : 'amqp',
      nodeId: core.config.nodeId,
      clock: core.clock,
    }),
    log: (err) => log(err, correlationId),
  });
}

/** The reply of an outcome, in the v2 envelope. */
export function replyOf(outcome: MessageOutcome, processingTimeNs: number, nodeId: string): AmqpReply {
  const status = outcome.ok ? outcome.status : outcome.error.status;
  const statusMessage = outcome.ok ? (status === 201 ? 'Created' : 'OK') : outcome.error.code;
  const body = outcome.ok ? { data: outcome.data } : { data: null, error: errorBody(outcome.error) };
  return {
    content: Buffer.from(JSON.stringify(body)),
    headers: { status_code: status, status_message: statusMessage, processing_time_ns: processingTimeNs, node_id: nodeId },
  };
}

function errorBody(error: GatehouseError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
    // HTTP says this in Retry-After; a message has nowhere else to say it.
    ...(error.retryAfter !== undefined ? { retry_after: error.retryAfter } : {}),
  };
}
