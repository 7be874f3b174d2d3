// Everything Gatehouse holds about one user, for `export_user` (data portability): the
// profile, every session record, the reports (flags) about them and the audit events. Never a password hash,
// a token digest or a TOTP secret.
import type { Store, UserRecord } from '../store/ports.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** At most this many sessions and audit events are exported, newest first. */
export const exportLimit = 1000;

export async function exportUser(store: Store, user: UserRecord) {
  const { items: sessions } = await store.sessions.page(user.database, { userId: user.id }, 0, exportLimit, false);
  const audit = await store.audit.listForTarget(user.database, user.id, exportLimit);
  const flags = await store.flags.listForUser(user.database, user.id);
  return {
    profile: {
      user_id: user.id,
      username: user.username,
      email: user.email,
      full_name: user.fullName,
      role: user.role,
      privileges: user.privileges,
      status: user.status,
      ban_until: iso(user.banUntil),
      flagged: user.flagged,
      last_login: iso(user.lastLogin),
      created_at: iso(user.createdAt),
      updated_at: iso(user.updatedAt),
      totp_enabled: (await store.totp.find(user.database, user.id))?.enabled === true,
    },
    sessions: sessions.map((s) => ({
      id: s.id,
      active: s.active,
      open_time: iso(s.openTime),
      request_time: iso(s.requestTime),
      close_time: iso(s.closeTime),
      expires_at: iso(s.expiresAt),
      address: s.address,
      client: s.client,
      node_id: s.nodeId,
      mfa: s.mfa,
    })),
    flags: flags.map((flag) => ({ reporter_id: flag.reporterId, reason: flag.reason, flagged_at: iso(flag.flaggedAt) })),
    audit: audit.map((event) => ({ at: iso(event.at), type: event.type, actor: event.actor, address: event.address, node_id: event.nodeId, details: event.details })),
  };
}
