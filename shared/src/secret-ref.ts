import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A secret given by reference instead of in the config file (docs/operations.md "Secrets"): `{ env: NAME }`
 * reads the environment variable NAME, `{ file: PATH }` reads the file PATH (a Docker or Kubernetes
 * secret, systemd's `LoadCredential=`), one trailing line break dropped. Resolved when the config is
 * loaded; a missing variable, an unreadable or empty file fails the load with the field's path and the
 * variable's name or the file's path, never the secret.
 */
export const secretRefSchema = z.union([
  z
    .object({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env must name an environment variable'),
    })
    .strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

export type SecretRef = z.infer<typeof secretRefSchema>;

export type SecretResolution = { ok: true; value: string } | { ok: false; reason: string };

/** The secret a reference names; `env` defaults to the process environment. */
export function resolveSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): SecretResolution {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) return { ok: false, reason: `environment variable ${ref.env} is not set` };
    if (value === '') return { ok: false, reason: `environment variable ${ref.env} is empty` };
    return { ok: true, value };
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: `cannot read secret file ${ref.file}${code ? ` (${code})` : ''}` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, reason: `secret file ${ref.file} is empty` };
  return { ok: true, value };
}

/**
 * A config field holding a secret: the value itself, or `{ env }` / `{ file }` resolved at parse time and
 * then checked by `inner` (length, URL…). Its output is a plain string, so a parsed config parses again
 * to itself.
 */
export function secretSchema<T extends z.ZodType<unknown, string>>(inner: T) {
  return z
    .union([z.string(), secretRefSchema])
    .transform((v, ctx): string => {
      if (typeof v === 'string') return v;
      const r = resolveSecretRef(v);
      if (r.ok) return r.value;
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    })
    .pipe(inner);
}
