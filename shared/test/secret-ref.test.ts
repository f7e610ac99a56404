import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodError, resolveSecretRef, secretSchema } from '../src/index.js';
import { tempFiles } from './temp-files.js';

const { dir, file, remove } = tempFiles('secret-ref-');
afterAll(remove);

describe('resolveSecretRef', () => {
  it('reads an environment variable', () => {
    expect(resolveSecretRef({ env: 'S' }, { S: 'from-env' })).toEqual({ ok: true, value: 'from-env' });
  });

  it('reads a file, dropping one trailing line break (echo, Docker secrets) and nothing else', () => {
    expect(resolveSecretRef({ file: file('a', 'from-file\n') })).toEqual({ ok: true, value: 'from-file' });
    expect(resolveSecretRef({ file: file('b', 'crlf\r\n') })).toEqual({ ok: true, value: 'crlf' });
    expect(resolveSecretRef({ file: file('c', ' spaces kept \n\n') })).toEqual({
      ok: true,
      value: ' spaces kept \n',
    });
  });

  it('refuses an unset or empty variable, naming it', () => {
    expect(resolveSecretRef({ env: 'MISSING' }, {})).toEqual({
      ok: false,
      reason: 'environment variable MISSING is not set',
    });
    expect(resolveSecretRef({ env: 'E' }, { E: '' })).toEqual({
      ok: false,
      reason: 'environment variable E is empty',
    });
  });

  it('refuses a missing, unreadable or empty file, naming it', () => {
    const missing = join(dir, 'nope');
    expect(resolveSecretRef({ file: missing })).toEqual({
      ok: false,
      reason: `cannot read secret file ${missing} (ENOENT)`,
    });
    expect(resolveSecretRef({ file: dir })).toEqual({
      ok: false,
      reason: `cannot read secret file ${dir} (EISDIR)`,
    });
    const empty = file('empty', '\n');
    expect(resolveSecretRef({ file: empty })).toEqual({ ok: false, reason: `secret file ${empty} is empty` });
    if (process.getuid?.() !== 0) {
      const locked = file('locked', 'x');
      chmodSync(locked, 0o000);
      expect(resolveSecretRef({ file: locked })).toEqual({
        ok: false,
        reason: `cannot read secret file ${locked} (EACCES)`,
      });
    } else {
      console.log('secret-ref: running as root, which reads any file: the EACCES case is not checked here');
    }
  });
});

describe('secretSchema', () => {
  const schema = z.object({ password: secretSchema(z.string().min(8, 'at least 8 characters')) }).strict();

  it('takes the value itself, or resolves { env } and { file } to a plain string', () => {
    process.env.CT_SECRET_REF_TEST = 'env-secret-1';
    try {
      expect(schema.parse({ password: 'plain-secret' })).toEqual({ password: 'plain-secret' });
      expect(schema.parse({ password: { env: 'CT_SECRET_REF_TEST' } })).toEqual({ password: 'env-secret-1' });
      expect(schema.parse({ password: { file: file('p', 'file-secret-1\n') } })).toEqual({
        password: 'file-secret-1',
      });
      // Its output parses again to itself.
      expect(schema.parse(schema.parse({ password: { env: 'CT_SECRET_REF_TEST' } }))).toEqual({
        password: 'env-secret-1',
      });
    } finally {
      delete process.env.CT_SECRET_REF_TEST;
    }
  });

  const error = (input: unknown) => {
    const r = schema.safeParse(input);
    if (r.success) throw new Error('expected a refusal');
    return formatZodError(r.error);
  };

  it('fails with the field path and the reason, never the secret', () => {
    expect(error({ password: { env: 'CT_SECRET_REF_UNSET' } })).toBe(
      'password: environment variable CT_SECRET_REF_UNSET is not set',
    );
    expect(error({ password: { file: join(dir, 'none') } })).toBe(
      `password: cannot read secret file ${join(dir, 'none')} (ENOENT)`,
    );
    // The inner check runs on the resolved value; its message does not repeat the value.
    const short = file('short', 'abc123\n');
    expect(error({ password: { file: short } })).toBe('password: at least 8 characters');
    expect(error({ password: { env: 'not a name' } })).toBe(
      'password.env: env must name an environment variable',
    );
    expect(error({ password: { env: 'A', file: short } })).toMatch(/^password(\.\w+)?: /);
    expect(error({ password: 42 })).toMatch(/^password: /);
  });
});
