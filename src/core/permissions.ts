// Roles map to permission sets; a user's `privileges` add single permissions on top.
// Operations name the one permission they need, so access rules live here and nowhere else.

export const roles = ['user', 'moderator', 'admin'] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  'account.self', // read and change one's own account
  'sessions.self', // list and revoke one's own sessions
  'accounts.read', // read other accounts
  'flags.review', // see flagged accounts
  'accounts.ban', // ban and unban
  'accounts.manage', // create, suspend, reinstate, delete other accounts
  'accounts.roles', // change roles and privileges
  'sessions.manage', // other users' sessions
  'databases.manage', // create, delete, select databases
] as const;
export type Permission = (typeof permissions)[number];

const userPermissions: Permission[] = ['account.self', 'sessions.self'];
const moderatorPermissions: Permission[] = [...userPermissions, 'accounts.read', 'flags.review', 'accounts.ban'];

const rolePermissions: Record<Role, readonly Permission[]> = {
  user: userPermissions,
  moderator: moderatorPermissions,
  admin: permissions,
};

/**
 * Administrative power: a caller who holds one of these (an administrator, or a user
 * granted it as a privilege) may use it only from a session that passed a second factor.
 */
export const secondFactorPermissions: ReadonlySet<Permission> = new Set(['accounts.manage', 'accounts.roles', 'sessions.manage', 'databases.manage']);

export function isPermission(name: string): name is Permission {
  return (permissions as readonly string[]).includes(name);
}

/** The effective set, in catalog order so that responses are stable. */
export function effectivePermissions(role: Role, privileges: readonly string[]): Permission[] {
  const granted = new Set<string>([...rolePermissions[role], ...privileges]);
  return permissions.filter((permission) => granted.has(permission));
}
