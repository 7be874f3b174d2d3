// Every HTTP surface, in the order they are mounted. Adding a surface is one line here.
import { messagesV1Surface } from './messages/v1.js';
import { messagesV2Surface } from './messages/v2.js';
import { restUserSurface } from './rest-user/index.js';
import { rpcSurface } from './rpc/index.js';
import { sessionsServiceSurface } from './sessions-service/index.js';
import type { HttpSurface } from './surface.js';

export const httpSurfaces: readonly HttpSurface[] = [restUserSurface, sessionsServiceSurface, rpcSurface, messagesV1Surface, messagesV2Surface];
