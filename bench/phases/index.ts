// Every phase, in the order a run measures them. Order matters a little: the login phases
// add sessions to the small store, so they come after the phases that read it as seeded.
import { amqpPhase } from './amqp.js';
import { coldPhase } from './cold.js';
import { loginPhase, loginTokenPhase, registrationPhase } from './password.js';
import { profilePhase } from './profile.js';
import { propagationPhase } from './propagation.js';
import { rpcPhase } from './rpc.js';
import { scaleOutPhase } from './shapes.js';
import type { Phase } from './phase.js';
import { stormPhase } from './storm.js';
import { validationPhase } from './validation.js';
import { validation1mPhase } from './validation-1m.js';

export const phases: readonly Phase[] = [
  validationPhase,
  profilePhase,
  validation1mPhase,
  coldPhase,
  loginPhase,
  loginTokenPhase,
  stormPhase,
  registrationPhase,
  propagationPhase,
  rpcPhase,
  scaleOutPhase,
  amqpPhase,
];

export type { Phase };
