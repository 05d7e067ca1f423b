// The secret POST /drain must carry. The admin port is reachable by anything that can reach the
// pod IP (kubelet, Prometheus, every other pod unless a NetworkPolicy says otherwise) and, behind
// a service-mesh sidecar, every request arrives from 127.0.0.1: a source address proves nothing.
// So the agent writes a random token to a file only processes inside its own container can read
// (mode 0600 under the pod's /tmp emptyDir), and the preStop hook the operator renders reads it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the token for the admin listener on `adminPort` lives. operator/src/render/render.ts reads the same path. */
export function drainTokenPath(adminPort: number, dir: string = tmpdir()): string {
  return join(dir, `hva-drain-${adminPort}.token`);
}

export interface DrainToken {
  readonly path: string;
  /** True when `authorization` is `Bearer <token>`. Constant time. */
  matches(authorization: string | undefined): boolean;
  remove(): void;
}

export function createDrainToken(adminPort: number, dir?: string): DrainToken {
  const path = drainTokenPath(adminPort, dir);
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, token, { mode: 0o600 });
  const expected = Buffer.from(`Bearer ${token}`);
  return {
    path,
    matches(authorization) {
      if (authorization === undefined) return false;
      const given = Buffer.from(authorization.trim());
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    remove() {
      rmSync(path, { force: true });
    },
  };
}
