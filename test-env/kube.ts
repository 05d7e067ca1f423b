// Starts a real kube-apiserver + etcd (no nodes, no controller-manager) on loopback for
// integration tests, envtest-style: binaries built from the Go module proxy and cached by
// version (test-env/tools.ts), certificates made with openssl in a temp dir, an admin client
// certificate in O=system:masters, and a kubeconfig written next to them.
//
//   const kube = await startKubeApiServer();
//   ... new KubeConfig() / kube.kubeConfig / kube.kubeconfigPath (for helm/kubectl) ...
//   await kube.stop();
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { cachedToolPath, ensureTool, toolVersion } from './tools.ts';
import { freePort } from './net.ts';

export interface KubeApiServer {
  /** Admin kubeconfig (client certificate in system:masters), for helm/kubectl. */
  readonly kubeconfigPath: string;
  /** The same kubeconfig, loaded. */
  readonly kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** PEM of the CA that signed the serving certificate (for token-based kubeconfigs). */
  readonly caData: string;
  /** Temp dir holding certs/, the kubeconfig and the process output (removed by stop()). */
  readonly dir: string;
  /** ca.crt/ca.key (cluster CA), admin.crt/key; with aggregation also front-proxy-ca.crt. */
  readonly certDir: string;
  /** kube-apiserver and etcd output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate for `subject`, signed by the CA in `dir` with the extensions file `ext`. */
function signLeafCert(dir: string, name: string, subject: string, ext: string): void {
  openssl(['genrsa', '-out', `${name}.key`, '2048'], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** CA, apiserver serving cert (127.0.0.1/localhost), admin client cert, service-account keys. */
function makeCerts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  openssl(['genrsa', '-out', 'ca.key', '2048'], dir);
  openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=hva-test-ca', '-days', '2', '-out', 'ca.crt'],
    dir,
  );
  writeFileSync(
    join(dir, 'serving.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const leaf = (name: string, subject: string, ext: string) => signLeafCert(dir, name, subject, ext);
  leaf('serving', '/CN=kube-apiserver', 'serving.ext');
  leaf('admin', '/O=system:masters/CN=hva-test-admin', 'client.ext');
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

function kubeconfigYaml(server: string, certDir: string): string {
  const b64 = (f: string) => readFileSync(join(certDir, f)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: admin
  user:
    client-certificate-data: ${b64('admin.crt')}
    client-key-data: ${b64('admin.key')}
contexts:
- name: test
  context:
    cluster: test
    user: admin
    namespace: default
current-context: test
`;
}

/**
 * Aggregation layer (kube-aggregator proxying to extension API servers such as a custom-metrics
 * adapter): a separate front-proxy CA signs the client certificate the API server presents to
 * the extension server, which trusts requests whose X-Remote-* headers come with it.
 */
function makeFrontProxyCerts(dir: string): string[] {
  openssl(['genrsa', '-out', 'front-proxy-ca.key', '2048'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'front-proxy-ca.key',
      '-subj',
      '/CN=hva-front-proxy-ca',
      '-days',
      '2',
      '-out',
      'front-proxy-ca.crt',
    ],
    dir,
  );
  openssl(['genrsa', '-out', 'front-proxy-client.key', '2048'], dir);
  openssl(
    ['req', '-new', '-key', 'front-proxy-client.key', '-subj', '/CN=front-proxy-client', '-out', 'fp.csr'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'fp.csr',
      '-CA',
      'front-proxy-ca.crt',
      '-CAkey',
      'front-proxy-ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'client.ext',
      '-out',
      'front-proxy-client.crt',
    ],
    dir,
  );
  return [
    `--requestheader-client-ca-file=${join(dir, 'front-proxy-ca.crt')}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${join(dir, 'front-proxy-client.crt')}`,
    `--proxy-client-key-file=${join(dir, 'front-proxy-client.key')}`,
  ];
}

/** Signs a serving certificate with the cluster CA (e.g. for an extension API server). */
export function makeServingCert(
  certDir: string,
  name: string,
  dnsNames: string[],
): { cert: string; key: string } {
  writeFileSync(
    join(certDir, `${name}.ext`),
    `subjectAltName=${['IP:127.0.0.1', ...dnsNames.map((d) => `DNS:${d}`)].join(',')}\nextendedKeyUsage=serverAuth\n`,
  );
  signLeafCert(certDir, name, `/CN=${dnsNames[0] ?? name}`, `${name}.ext`);
  return { cert: join(certDir, `${name}.crt`), key: join(certDir, `${name}.key`) };
}

export function startProcess(binary: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer) => appendFileSync(logFile, chunk);
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return child;
}

export async function stopProcess(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function getReadyz(server: string, certDir: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      {
        ca: readFileSync(join(certDir, 'ca.crt')),
        cert: readFileSync(join(certDir, 'admin.crt')),
        key: readFileSync(join(certDir, 'admin.key')),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Starts etcd and kube-apiserver (building them first if they are not cached: minutes, once
 * per version) and resolves when /readyz answers 200.
 */
export async function startKubeApiServer(
  options: { readyTimeoutMs?: number; aggregation?: boolean } = {},
): Promise<KubeApiServer> {
  for (const tool of ['etcd', 'kubernetes'] as const) {
    if (!existsSync(cachedToolPath(tool))) {
      console.error(
        `[test-env] ${tool} ${toolVersion(tool)} is not cached: BUILDING it from the Go module proxy now (several minutes on first run)`,
      );
    }
  }
  const etcdBin = ensureTool('etcd');
  const apiserverBin = ensureTool('kubernetes');

  const dir = mkdtempSync(join(tmpdir(), 'hva-kube-'));
  const certDir = join(dir, 'certs');
  makeCerts(certDir);
  const aggregationArgs = options.aggregation ? makeFrontProxyCerts(certDir) : [];
  const logFile = join(dir, 'output.log');
  writeFileSync(logFile, '');

  const [etcdPort, apiPort] = [await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startProcess(
    etcdBin,
    [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      '--listen-peer-urls=http://127.0.0.1:0',
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    logFile,
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = startProcess(
    apiserverBin,
    [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${join(certDir, 'serving.crt')}`,
      `--tls-private-key-file=${join(certDir, 'serving.key')}`,
      `--client-ca-file=${join(certDir, 'ca.crt')}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(certDir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(certDir, 'sa.key')}`,
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      ...aggregationArgs,
      '--v=0',
    ],
    logFile,
  );
  const output = () => readFileSync(logFile, 'utf8');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    await stopProcess(apiserver);
    await stopProcess(etcd);
    rmSync(dir, { recursive: true, force: true });
  };
  const killOnExit = () => {
    apiserver.kill('SIGKILL');
    etcd.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    const exited = [apiserver, etcd].find((c) => c.exitCode !== null || c.signalCode !== null);
    if (exited || Date.now() > deadline) {
      const tail = output().split('\n').slice(-40).join('\n');
      await stop();
      throw new Error(`kube-apiserver did not become ready${exited ? ' (a process exited)' : ''}:\n${tail}`);
    }
    if ((await getReadyz(server, certDir)) === 200) break;
    await new Promise((r) => setTimeout(r, 300));
  }

  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(server, certDir), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return {
    kubeconfigPath,
    kubeConfig,
    server,
    dir,
    certDir,
    caData: readFileSync(join(certDir, 'ca.crt'), 'utf8'),
    output,
    stop,
  };
}

/** A KubeConfig for the same cluster that authenticates with a bearer token (e.g. a TokenRequest token). */
export function kubeConfigForToken(kube: KubeApiServer, token: string, user = 'token-user'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: kube.server, caData: Buffer.from(kube.caData).toString('base64') }],
    users: [{ name: user, token }],
    contexts: [{ name: 'test', cluster: 'test', user, namespace: 'default' }],
    currentContext: 'test',
  });
  return kc;
}
