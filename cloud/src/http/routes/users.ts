import { ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../../auth/auth-plugin.js';
import { MAX_PASSWORD_LENGTH } from '../../auth/passwords.js';
import { type Role, rolesSchema } from '../../auth/roles.js';
import { userOf } from '../../auth/user-store.js';
import { type AuthRouteDeps, userView } from './auth.js';

const ADMIN = { roles: ['admin'] } as const;
const idParams = z.object({ id: z.string().uuid() });

export const userRoutes: FastifyPluginAsync<AuthRouteDeps> = async (root, { auth }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const users = auth.users;

  /** Refuses a change that would leave no enabled admin (nobody could manage users any more). */
  const keepAnAdmin = async (
    id: string,
    roles: readonly Role[] | undefined,
    disabled: boolean | undefined,
  ) => {
    const losesAdmin = (roles && !roles.includes('admin')) || disabled === true;
    if (!losesAdmin) return;
    const admins = (await users.listUsers()).filter((u) => u.roles.includes('admin') && !u.disabled);
    if (admins.length === 1 && admins[0]!.id === id)
      throw new ColdtraceError('conflict', 'this is the last enabled admin; make another admin first');
  };

  app.get(
    '/users',
    { config: ADMIN, schema: { tags: ['users'], response: { 200: z.array(userView) } } },
    async () => users.listUsers(),
  );

  app.post(
    '/users',
    {
      config: ADMIN,
      schema: {
        tags: ['users'],
        description: 'Create a user. Passwords: at least 10 characters, hashed with argon2id.',
        body: z
          .object({
            username: z.string().min(2).max(64),
            printedName: z.string().min(1).max(200).optional(),
            roles: rolesSchema,
            password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          })
          .strict(),
        response: { 201: userView },
      },
    },
    async (req, reply) => {
      const u = await users.createUser(req.body, auth.clock.now(), { actor: principalOf(req).username });
      req.log.info({ user: u.username, by: principalOf(req).username }, 'user created');
      return reply.code(201).send(u);
    },
  );

  app.get(
    '/users/:id',
    {
      config: ADMIN,
      schema: { tags: ['users'], params: idParams, response: { 200: userView } },
    },
    async (req) => {
      const row = await users.getUser(req.params.id);
      if (!row) throw new ColdtraceError('not_found', `user ${req.params.id} not found`);
      return userOf(row);
    },
  );

  app.patch(
    '/users/:id',
    {
      config: ADMIN,
      schema: {
        tags: ['users'],
        description:
          'Change printed name, roles, disabled flag or password. Role, password and disable changes end the user’s sessions.',
        params: idParams,
        body: z
          .object({
            printedName: z.string().min(1).max(200),
            roles: rolesSchema,
            disabled: z.boolean(),
            password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          })
          .partial()
          .strict()
          .refine((b) => Object.keys(b).length > 0, 'nothing to change'),
        response: { 200: userView },
      },
    },
    async (req) => {
      await keepAnAdmin(req.params.id, req.body.roles, req.body.disabled);
      const u = await users.updateUser(req.params.id, req.body, auth.clock.now(), {
        actor: principalOf(req).username,
      });
      req.log.info(
        { user: u.username, by: principalOf(req).username, fields: Object.keys(req.body) },
        'user changed',
      );
      return u;
    },
  );

  app.post(
    '/users/:id/unlock',
    {
      config: ADMIN,
      schema: {
        tags: ['users'],
        description:
          'End a user’s login lockout now (failed logins or e-signatures locked the account), with an optional ' +
          'reason. Recorded on the audit trail as `security.account_unlocked`.',
        params: idParams,
        body: z
          .object({ reason: z.string().trim().min(1).max(2000) })
          .partial()
          .strict()
          .optional(),
        response: { 200: z.object({ username: z.string(), wasLocked: z.boolean() }) },
      },
    },
    async (req) => {
      const by = principalOf(req).username;
      const r = await auth.unlock(req.params.id, by, req.body?.reason);
      req.log.info({ user: r.username, by, wasLocked: r.wasLocked }, 'user unlocked');
      return r;
    },
  );
};
