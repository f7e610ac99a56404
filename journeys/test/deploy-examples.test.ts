import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudConfigSchema, loadCloudConfig } from '@coldtrace/cloud';
import { parseGatewayConfig } from '@coldtrace/edge';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '../../deploy');
const examples = readdirSync(join(DEPLOY, 'examples')).filter((f) => /\.ya?ml$/.test(f));

describe('deploy/examples', () => {
  it('has the cloud, warehouse and truck examples', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['cloud.yaml', 'edge-warehouse.yaml', 'edge-truck.yaml']),
    );
  });

  it.each(examples)('%s is valid against its schema', (file) => {
    const path = join(DEPLOY, 'examples', file);
    if (file.startsWith('cloud')) {
      // The secrets the examples read from the environment (compose and cloud.env set them).
      const env = {
        COLDTRACE_DATABASE_URL: 'postgres://coldtrace:pg-secret@postgres:5432/coldtrace',
        COLDTRACE_INGESTOR_PASSWORD: 'ingestor-secret',
        COLDTRACE_AMQP_URL: 'amqp://coldtrace-ingestor:ingestor-secret@rabbitmq:5672/',
      };
      Object.assign(process.env, env);
      let config: ReturnType<typeof loadCloudConfig>;
      try {
        config = loadCloudConfig(path);
      } finally {
        for (const name of Object.keys(env)) delete process.env[name];
      }
      expect(config.database).toBe(env.COLDTRACE_DATABASE_URL);
      if (config.mqtt.external) expect(config.mqtt.external.password).toBe(env.COLDTRACE_INGESTOR_PASSWORD);
      if (config.mqtt.rabbitmq) expect(config.mqtt.rabbitmq.amqpUrl).toBe(env.COLDTRACE_AMQP_URL);
      expect(config.influx?.measurement).toBe('temperature');
      // Every key written in the file is known to the (strict) schema: parsing again changes nothing.
      expect(cloudConfigSchema.parse(config)).toEqual(config);
    } else {
      const config = parseGatewayConfig(parseYaml(readFileSync(path, 'utf8')), file);
      expect(config.gatewayId).toMatch(/^[a-z]/);
      expect(config.modbus.length + config.portals.length).toBeGreaterThan(0);
    }
  });

  it('rejects an example with an unknown key (the check is not vacuous)', () => {
    const raw = parseYaml(readFileSync(join(DEPLOY, 'examples/edge-truck.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(() => parseGatewayConfig({ ...raw, colour: 'blue' }, 'edge-truck.yaml')).toThrow(
      /colour|unrecognized/i,
    );
    expect(() => cloudConfigSchema.parse({ influx: { url: 'not a url' } })).toThrow();
  });

  it('the Grafana dashboard reads the InfluxDB measurement the sink writes', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/coldtrace.json'), 'utf8'));
    const queries: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ query?: string }> }) =>
      (p.targets ?? []).map((t) => t.query ?? ''),
    );
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect(q).toMatch(/FROM "temperature"/);
  });
});

/** A unit file's `[Section]` → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 1) throw new Error(`not a unit file line: ${raw}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const UNITS = join(DEPLOY, 'systemd');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/systemd', () => {
  const cloud = parseUnit(readFileSync(join(UNITS, 'coldtrace-cloud.service'), 'utf8'));
  const service = cloud.get('Service')!;
  const one = (key: string) => service.get(key)?.at(-1);

  it('the cloud unit runs the cloud on /etc/coldtrace/cloud.yaml, restarted whenever it stops', () => {
    expect(one('ExecStart')).toBe(
      '/usr/bin/node /opt/coldtrace/bin/coldtrace.mjs cloud --config /etc/coldtrace/cloud.yaml',
    );
    expect(one('Restart')).toBe('always');
    expect(cloud.get('Unit')?.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(one('User')).toBe('coldtrace');
    // Secrets referenced as { env: NAME } come from this file (docs/operations.md "Secrets").
    expect(one('EnvironmentFile')).toBe('-/etc/coldtrace/cloud.env');
    expect(cloud.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('the cloud unit is hardened: read-only system, no privileges, writes only its state directory', () => {
    expect(one('NoNewPrivileges')).toBe('true');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')).toBe('/var/lib/coldtrace');
    expect(one('StateDirectory')).toBe('coldtrace');
    expect(one('CapabilityBoundingSet')).toBe('');
    for (const key of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'RestrictSUIDSGID', 'LockPersonality'])
      expect(one(key), key).toBe('true');
    expect(one('SystemCallFilter')).toBe('@system-service');
    // V8 compiles to memory it then runs: this would kill the process.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it.each(readdirSync(UNITS))('%s passes systemd-analyze verify without a warning', (file) => {
    if (!hasSystemdAnalyze) {
      console.log(`deploy/systemd/${file}: systemd-analyze is not installed; only parsed`);
      expect(parseUnit(readFileSync(join(UNITS, file), 'utf8')).has('Service')).toBe(true);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-units-'));
    try {
      // A template is verified as one of its instances.
      const unit = join(dir, file.replace('@.service', '@example.service'));
      copyFileSync(join(UNITS, file), unit);
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('systemd-analyze verify reports a broken unit (the check is not vacuous)', () => {
    if (!hasSystemdAnalyze) {
      console.log('systemd-analyze is not installed: the verify check is not run');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-units-'));
    try {
      const unit = join(dir, 'coldtrace-cloud.service');
      copyFileSync(join(UNITS, 'coldtrace-cloud.service'), unit);
      const text = readFileSync(unit, 'utf8').replace('Restart=always', 'Restart=sometimes');
      writeFileSync(unit, text);
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(r.stderr).toMatch(/restart specifier/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/Dockerfile', () => {
  /** What the image's entrypoint runs for `docker run coldtrace ARGS`: a `node` on PATH that says so. */
  function entrypoint(...args: string[]): string {
    const bin = mkdtempSync(join(tmpdir(), 'coldtrace-entrypoint-'));
    try {
      writeFileSync(
        join(bin, 'node'),
        '#!/bin/sh\necho "COLDTRACE_EDGE_RUNTIME=$COLDTRACE_EDGE_RUNTIME $*"\n',
        {
          mode: 0o755,
        },
      );
      const r = spawnSync('/bin/sh', [join(DEPLOY, 'docker-entrypoint.sh'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, COLDTRACE_EDGE_RUNTIME: '' },
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('starts the gateway as the systemd unit does (its node flags, the compiled runtime), the rest without', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["\/bin\/sh", "\/opt\/coldtrace\/deploy\/docker-entrypoint\.sh"\]$/m,
    );
    const unit = parseUnit(readFileSync(join(UNITS, 'coldtrace-edge@.service'), 'utf8')).get('Service')!;
    expect(unit.get('Environment')).toContain('COLDTRACE_EDGE_RUNTIME=compiled');
    const exec = /^\/usr\/bin\/node((?: --\S+)+) \/opt\/coldtrace\/bin\/coldtrace\.mjs edge /.exec(
      unit.get('ExecStart')!.at(-1)!,
    );
    const flags = exec![1]!.trim();
    expect(flags).toContain('--max-semi-space-size=');
    const script = `${join(DEPLOY, '..')}/bin/coldtrace.mjs`;
    expect(entrypoint('edge', '--config', '/etc/coldtrace/edge.yaml')).toBe(
      `COLDTRACE_EDGE_RUNTIME=compiled ${flags} ${script} edge --config /etc/coldtrace/edge.yaml`,
    );
    expect(entrypoint('cloud', '--config', '/etc/coldtrace/cloud.yaml')).toBe(
      `COLDTRACE_EDGE_RUNTIME= ${script} cloud --config /etc/coldtrace/cloud.yaml`,
    );
  });
});

describe('deploy/docker-compose.scaled.yml (several cloud instances on RabbitMQ)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: a compose file as parsed
  const compose = parseYaml(readFileSync(join(DEPLOY, 'docker-compose.scaled.yml'), 'utf8')) as any;
  const cloudService = compose.services.cloud;
  const configPath = cloudService.volumes
    .map((v: string) => v.split(':'))
    .find(([, inside]: string[]) => inside === '/etc/coldtrace/cloud.yaml')[0] as string;

  it('scales: the cloud service has no container name and no fixed host port, and a readiness healthcheck', () => {
    expect(cloudService.container_name).toBeUndefined();
    expect(cloudService.ports).toEqual(['8080']);
    expect(cloudService.healthcheck.test.join(' ')).toContain('/readyz');
    for (const name of ['postgres', 'rabbitmq']) expect(compose.services[name].healthcheck).toBeDefined();
    expect(cloudService.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      rabbitmq: { condition: 'service_healthy' },
    });
  });

  it('mounts files that exist, and the cloud config it mounts is the RabbitMQ one, valid with the environment it gets', () => {
    for (const s of Object.values(compose.services) as Array<{ volumes?: string[] }>)
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect(() => readFileSync(join(DEPLOY, source)), source).not.toThrow();
      }
    expect(configPath).toBe('./examples/cloud-rabbitmq.yaml');
    // The compose environment with its ${…} filled in as docker compose would.
    const vars: Record<string, string> = {
      COLDTRACE_PG_PASSWORD: 'pg-secret',
      COLDTRACE_INGESTOR_PASSWORD: 'ing-secret',
    };
    const env = Object.fromEntries(
      Object.entries(cloudService.environment as Record<string, string>).map(([k, v]) => [
        k,
        v.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => vars[name]!),
      ]),
    );
    Object.assign(process.env, env);
    let config: ReturnType<typeof loadCloudConfig>;
    try {
      config = loadCloudConfig(join(DEPLOY, configPath));
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
    expect(config.mqtt.embedded.enabled).toBe(false);
    expect(config.mqtt.rabbitmq?.amqpUrl).toBe('amqp://coldtrace-ingestor:ing-secret@rabbitmq:5672/');
    expect(config.database).toBe('postgres://coldtrace:pg-secret@postgres:5432/coldtrace');
    // Every host the config names is a service of this compose file.
    for (const url of [config.database, config.mqtt.rabbitmq!.amqpUrl, config.influx!.url])
      expect(Object.keys(compose.services)).toContain(new URL(url).hostname);
    // RabbitMQ's auth calls come from its pinned address, which the clouds accept, and go to the cloud service.
    const rabbitIp = compose.services.rabbitmq.networks.coldtrace.ipv4_address;
    expect(config.mqtt.rabbitmq!.authFrom).toContain(rabbitIp);
    const conf = readFileSync(join(DEPLOY, 'rabbitmq/rabbitmq.conf'), 'utf8');
    const authUrls = [...conf.matchAll(/^auth_http\.\w+_path = (\S+)$/gm)].map((m) => new URL(m[1]!));
    expect(authUrls).toHaveLength(4);
    for (const u of authUrls) expect([u.hostname, Number(u.port)]).toEqual(['cloud', config.http.port]);
  });
});

/**
 * `docker compose config` over a compose file of deploy/: Docker's compose plugin (v2), else Debian's
 * `docker-compose` (v1, which predates the top-level `name`: given as `-p` instead, on a copy without it).
 * A string when neither is installed: why the check is not run.
 */
function composeConfig():
  | ((file: string, env: Record<string, string>) => { status: number; stdout: string; out: string })
  | string {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COLDTRACE_')));
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0)
    return (file, env) => {
      const r = spawnSync('docker', ['compose', '-f', file, 'config'], {
        encoding: 'utf8',
        env: { ...clean, ...env },
      });
      return { status: r.status ?? 1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
    };
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status !== 0)
    return 'neither `docker compose` nor `docker-compose` is installed: docker compose config is not run';
  return (file, env) => {
    const text = readFileSync(file, 'utf8');
    const name = /^name: (\S+)$/m.exec(text)?.[1] ?? 'coldtrace';
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-compose-'));
    try {
      const copy = join(dir, 'compose.yml');
      writeFileSync(copy, text.replace(/^name: .*$/m, ''));
      const args = ['--project-directory', dirname(file), '-p', name, '-f', copy, 'config'];
      const r = spawnSync('docker-compose', args, { encoding: 'utf8', env: { ...clean, ...env } });
      return { status: r.status ?? 1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

type Compose = { services: { cloud: { environment: Record<string, string> } } };

describe('docker compose config (where docker compose is installed)', () => {
  const config = composeConfig();
  const secrets = { COLDTRACE_PG_PASSWORD: 'pg-secret', COLDTRACE_INGESTOR_PASSWORD: 'ing-secret' };

  it('accepts both compose files with the secrets in the environment, filled in where the cloud reads them', () => {
    if (typeof config === 'string') return void console.log(config);
    for (const file of ['docker-compose.yml', 'docker-compose.scaled.yml']) {
      const r = config(join(DEPLOY, file), secrets);
      expect(r.status, `${file}: ${r.out}`).toBe(0);
      const env = (parseYaml(r.stdout) as Compose).services.cloud.environment;
      expect(env.COLDTRACE_DATABASE_URL, file).toContain(':pg-secret@postgres:5432/');
      expect(env.COLDTRACE_INGESTOR_PASSWORD, file).toBe('ing-secret');
    }
  });

  it('refuses the scaled file without its secrets, and a file compose cannot read (the check is not vacuous)', () => {
    if (typeof config === 'string') return void console.log(config);
    const r = config(join(DEPLOY, 'docker-compose.scaled.yml'), {
      COLDTRACE_INGESTOR_PASSWORD: 'ing-secret',
    });
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('set COLDTRACE_PG_PASSWORD');
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-compose-broken-'));
    try {
      const broken = join(dir, 'docker-compose.yml');
      const text = readFileSync(join(DEPLOY, 'docker-compose.scaled.yml'), 'utf8');
      writeFileSync(
        broken,
        text.replace('    restart: unless-stopped\n', '    restart: unless-stopped\n    replicas: three\n'),
      );
      expect(config(broken, secrets).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
