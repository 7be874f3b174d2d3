// Figures of surfaces that do not exist yet. They stay in the report (value null, met
// null) so the table shows what is still to come; replace them with phases when built.
import { notBuilt } from '../lib/figures.js';
import type { Phase } from './phase.js';

export const notBuiltPhase: Phase = {
  name: 'not_built',
  figures: ['amqp_round_trip'],
  run: async (ctx) => [
    notBuilt('amqp_round_trip', ctx.shape.name, 'ms', 'AMQP request/reply round trip'),
  ],
};
