import { type CliGroup, defineCommand } from '@coldtrace/shared/cli';

// The cloud's commands as the parser and the help see them (declared once, here).

const database = {
  type: 'string',
  value: 'URL',
  description:
    "the cloud database: sqlite:FILE or postgres://… (default: the config's, else sqlite:.data/cloud.db)",
} as const;

/** The cloud's config file, read for its database (and what else the command uses from it). */
const config = {
  type: 'string',
  value: 'FILE',
  description: 'cloud config (YAML/JSON): its database is used unless --database is given',
} as const;

const role = {
  type: 'string',
  value: 'R',
  multiple: true,
  required: true,
  description: 'a role: viewer, operator, qa or admin (repeat or comma-separate for several)',
} as const;

export const CLOUD_COMMAND = defineCommand({
  name: 'cloud',
  summary: 'run the cloud (embedded MQTT broker, ingest, API, QA pages) until SIGINT/SIGTERM',
  options: {
    config: {
      type: 'string',
      value: 'FILE',
      description: 'cloud config (YAML/JSON); the flags below override it',
    },
    database: {
      type: 'string',
      value: 'URL',
      description:
        "the database: sqlite:FILE or postgres://… (default: the config's, else sqlite:.data/cloud.db)",
    },
    'http-port': {
      type: 'string',
      value: 'N',
      description: "port of the API and QA pages (default: the config's, else 8080)",
    },
    'mqtt-port': {
      type: 'string',
      value: 'N',
      description: "port of the embedded MQTT broker (default: the config's, else 1883)",
    },
  },
});

export const GATEWAY_ADD_COMMAND = defineCommand({
  name: 'gateway add',
  summary: 'register a gateway and print its MQTT secret (shown once)',
  args: [{ name: 'id', description: 'the gateway id, also its MQTT username' }],
  options: {
    name: { type: 'string', value: 'TEXT', description: 'a human-readable name' },
    config,
    database,
  },
});

export const AUDIT_VERIFY_COMMAND = defineCommand({
  name: 'audit verify',
  summary: "verify the audit trail's hash chain (exit 0 intact, 1 broken at the entry named)",
  options: {
    config,
    database,
    json: { type: 'boolean', description: 'print the result as one JSON line' },
    deep: {
      type: 'boolean',
      description:
        'also check locks, quantity holds, dispositions, users and master data against the trail, and the signature manifests (exit 1 on a contradiction)',
    },
    checkpoints: {
      type: 'string',
      value: 'PATH',
      description:
        'also check the signed checkpoints in PATH (a directory or an append-only file) against the trail and the reading digests',
    },
    'public-key': {
      type: 'string',
      value: 'FILE',
      multiple: true,
      description:
        'a trusted public key (PEM) for --checkpoints; repeat for rotated keys (default: PATH/public-key.pem)',
    },
    readings: {
      type: 'boolean',
      description: "also recompute every batch's reading digest from the stored readings",
    },
  },
});

export const AUDIT_CHECKPOINT_COMMAND = defineCommand({
  name: 'audit checkpoint',
  summary: "sign the audit trail's and reading digests' heads now and write the checkpoint",
  options: {
    config: {
      type: 'string',
      value: 'FILE',
      description: 'cloud config: its database and audit.checkpoints (the flags below override it)',
    },
    database,
    key: { type: 'string', value: 'FILE', description: 'the Ed25519 private key (PEM)' },
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'write the checkpoint as a new file in DIR (never overwriting one)',
    },
    file: { type: 'string', value: 'FILE', description: 'append the checkpoint to FILE as one JSON line' },
  },
});

export const AUDIT_KEYGEN_COMMAND = defineCommand({
  name: 'audit keygen',
  summary: 'create an Ed25519 key pair for signing checkpoints (FILE and FILE.pub, never overwritten)',
  options: {
    out: {
      type: 'string',
      value: 'FILE',
      required: true,
      description: 'the private key file to create (mode 0600); the public key goes to FILE.pub',
    },
  },
});

export const USER_ADD_COMMAND = defineCommand({
  name: 'user add',
  summary: 'create a user; the password is asked twice on the terminal (no echo)',
  args: [{ name: 'username', description: 'the login name' }],
  options: {
    role,
    name: { type: 'string', value: 'TEXT', description: 'the printed name shown with e-signatures' },
    config,
    database,
    'password-stdin': {
      type: 'boolean',
      description: 'read the password from the first line of stdin instead of the terminal',
    },
  },
});

export const USER_LIST_COMMAND = defineCommand({
  name: 'user list',
  summary: 'list users and their roles',
  options: { config, database },
});

export const USER_TOKEN_COMMAND = defineCommand({
  name: 'user token',
  summary: 'issue a bearer token for an integration (printed once)',
  args: [{ name: 'name', description: 'what the token is for (e.g. erp)' }],
  options: { role, config, database },
});

const archiveDir = {
  type: 'string',
  value: 'DIR',
  description:
    "the archives' directory (default: the config's retention.archiveDir, else where each was written)",
} as const;

export const ARCHIVE_CREATE_COMMAND = defineCommand({
  name: 'archive create',
  summary:
    'export a month (UTC) of raw readings to a gzip NDJSON archive, checked and audited (deletes nothing)',
  options: {
    period: { type: 'string', value: 'YYYY-MM', required: true, description: 'the month to archive' },
    dir: {
      type: 'string',
      value: 'DIR',
      description: "write the archive in DIR (default: the config's retention.archiveDir)",
    },
    config,
    database,
  },
});

export const ARCHIVE_LIST_COMMAND = defineCommand({
  name: 'archive list',
  summary: 'list the archives of raw readings: period, rows, size, SHA-256, file',
  options: { config, database, json: { type: 'boolean', description: 'print one JSON line per archive' } },
});

export const ARCHIVE_VERIFY_COMMAND = defineCommand({
  name: 'archive verify',
  summary: 'check archive files against their recorded SHA-256, rows and audit entry (exit 1 on a problem)',
  args: [{ name: 'id', description: 'the archive (default: every archive)', optional: true }],
  options: { dir: archiveDir, config, database },
});

export const ARCHIVE_RESTORE_COMMAND = defineCommand({
  name: 'archive restore',
  summary: "put an archive's readings back (verified first; readings still stored are left as they are)",
  args: [{ name: 'id', description: 'the archive, e.g. readings-2026-01' }],
  options: { dir: archiveDir, config, database },
});

export const ARCHIVE_PRUNE_COMMAND = defineCommand({
  name: 'archive prune',
  summary:
    "delete an archive's raw readings from the store (verified first; whole digest batches the domain no longer needs)",
  args: [{ name: 'id', description: 'the archive, e.g. readings-2026-01' }],
  options: { dir: archiveDir, config, database },
});

export const ARCHIVE_COMMANDS: CliGroup = {
  name: 'archive',
  summary: 'archives of raw readings',
  commands: [
    ARCHIVE_CREATE_COMMAND,
    ARCHIVE_LIST_COMMAND,
    ARCHIVE_VERIFY_COMMAND,
    ARCHIVE_RESTORE_COMMAND,
    ARCHIVE_PRUNE_COMMAND,
  ],
};

export const GATEWAY_COMMANDS: CliGroup = {
  name: 'gateway',
  summary: 'gateways known to the cloud',
  commands: [GATEWAY_ADD_COMMAND],
};

export const AUDIT_COMMANDS: CliGroup = {
  name: 'audit',
  summary: 'the audit trail',
  commands: [AUDIT_VERIFY_COMMAND, AUDIT_CHECKPOINT_COMMAND, AUDIT_KEYGEN_COMMAND],
};

export const USER_COMMANDS: CliGroup = {
  name: 'user',
  summary: 'users of the QA pages and tokens of integrations (run on the server)',
  commands: [USER_ADD_COMMAND, USER_LIST_COMMAND, USER_TOKEN_COMMAND],
};
