import { ColdtraceError, systemClock } from '@coldtrace/shared';
import { parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { type Role, roleSchema } from '../auth/roles.js';
import { UserStore } from '../auth/user-store.js';
import { openDatabase } from '../store/db.js';
import { cliActor } from './cli-actor.js';
import { databaseOf } from './cli-database.js';
import { USER_ADD_COMMAND, USER_COMMANDS, USER_LIST_COMMAND, USER_TOKEN_COMMAND } from './commands.js';

export interface CliIo {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const defaultIo = (): CliIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** `coldtrace user add|list|token …`: the first admin is made here, on the server (docs/qa-pages.md "First run"). */
export async function runUserCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const picked = pickCommand(USER_COMMANDS, argv);
  if (picked.command === USER_ADD_COMMAND) await addUser(picked.argv, io);
  else if (picked.command === USER_TOKEN_COMMAND) await issueToken(picked.argv, io);
  else await listUsers(picked.argv, io);
  return 0;
}

async function addUser(argv: string[], io: CliIo): Promise<void> {
  const { values, args } = parseCommand(USER_ADD_COMMAND, argv);
  const roles = parseRoles(values.role);
  // Ask before opening the database, so a typo'd prompt never leaves a half-made user.
  const password = values['password-stdin'] ? await readStdinPassword(io.stdin) : await askPasswordTwice(io);
  await withUsers(databaseOf(values), async (users) => {
    const u = await users.createUser(
      { username: args.username, printedName: values.name, roles, password },
      systemClock.now(),
      { actor: cliActor(), reason: 'user created with coldtrace user add' },
    );
    io.stdout.write(`user ${u.username} (${u.printedName}) created with roles ${u.roles.join(', ')}.\n`);
    io.stdout.write('Log in at the cloud URL, /login (e.g. http://127.0.0.1:8080/login).\n');
  });
}

async function issueToken(argv: string[], io: CliIo): Promise<void> {
  const { values, args } = parseCommand(USER_TOKEN_COMMAND, argv);
  const roles = parseRoles(values.role);
  await withUsers(databaseOf(values), async (users) => {
    const { token } = await users.createToken({ name: args.name, roles, userId: null }, systemClock.now(), {
      actor: cliActor(),
      reason: `bearer token ${args.name} issued with coldtrace user token (token not recorded)`,
    });
    io.stdout.write(
      `token for ${args.name} (roles ${roles.join(', ')}):\n${token}\n(shown once; send it as "Authorization: Bearer <token>")\n`,
    );
  });
}

async function listUsers(argv: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand(USER_LIST_COMMAND, argv);
  await withUsers(databaseOf(values), async (users) => {
    for (const u of await users.listUsers())
      io.stdout.write(
        `${u.username}\t${u.roles.join(',')}\t${u.disabled ? 'disabled' : 'enabled'}\t${u.printedName}\n`,
      );
  });
}

async function withUsers(database: string, use: (users: UserStore) => Promise<void>): Promise<void> {
  const opened = await openDatabase(database);
  try {
    await use(new UserStore(opened.db));
  } finally {
    await opened.close();
  }
}

function parseRoles(list: string[]): Role[] {
  const out: Role[] = [];
  for (const r of list.flatMap((x) => x.split(','))) {
    const p = roleSchema.safeParse(r.trim());
    if (!p.success)
      throw new ColdtraceError('invalid', `unknown role ${JSON.stringify(r)} (viewer, operator, qa, admin)`);
    if (!out.includes(p.data)) out.push(p.data);
  }
  return out;
}

/** The first line of stdin (a trailing CR/LF is not part of the password). */
async function readStdinPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  if (!line) throw new ColdtraceError('invalid', 'no password on stdin');
  return line;
}

async function askPasswordTwice(io: CliIo): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY) throw new ColdtraceError('invalid', 'stdin is not a terminal: use --password-stdin');
  const a = await askHidden(stdin, io.stderr, 'Password: ');
  const b = await askHidden(stdin, io.stderr, 'Repeat password: ');
  if (a !== b) throw new ColdtraceError('invalid', 'the passwords do not match');
  return a;
}

/** Reads one line in raw mode without echoing it. */
function askHidden(stdin: NodeJS.ReadStream, out: NodeJS.WritableStream, prompt: string): Promise<string> {
  out.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
