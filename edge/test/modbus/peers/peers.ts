import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The pymodbus slave script of these tests. */
export const LATE_SLAVE = fileURLToPath(new URL('./late-slave.py', import.meta.url));

/**
 * A Python that can import Debian's pymodbus (the package installs it for /usr/bin/python3, which
 * another python3 on the PATH may not see), or why there is none.
 */
export function pymodbusPython(): { python: string } | { missing: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import pymodbus'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return { python };
  }
  return { missing: 'pymodbus is not installed (apt-get install -y python3-pymodbus)' };
}
