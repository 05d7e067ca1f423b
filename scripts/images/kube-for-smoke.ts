// A real kube-apiserver + etcd (test-env/kube.ts) with the VoiceAgent CRD installed, for
// scripts/images/smoke.sh to run the operator image against:
//   node scripts/images/kube-for-smoke.ts serve <dir>
//       writes <dir>/kubeconfig (admin, certificates embedded), then <dir>/ready; stops on SIGTERM
//   node scripts/images/kube-for-smoke.ts reconcile <kubeconfig> <name>
//       creates VoiceAgent <name> in "default" and waits until the operator has applied its
//       Deployment and reported ObservedGeneration; prints the Deployment's image
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CustomObjectsApi,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { startKubeApiServer } from '../../test-env/kube.ts';
import { waitFor } from '../../test-env/net.ts';

const CRD_PATH = new URL('../../crds/voiceagents.voice.hva.dev.yaml', import.meta.url);
const GROUP = 'voice.hva.dev';
const VERSION = 'v1alpha1';

async function serve(dir: string): Promise<void> {
  const kube = await startKubeApiServer({ readyTimeoutMs: 120_000 });
  const stop = () => void kube.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD_PATH, 'utf8'));
  const ext = kube.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({ body: crd });
  await waitFor(
    'the VoiceAgent CRD to be established',
    async () => {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    30_000,
  );
  // Readable by the image's non-root user through a bind mount; a throwaway test cluster.
  copyFileSync(kube.kubeconfigPath, join(dir, 'kubeconfig'));
  writeFileSync(join(dir, 'ready'), kube.server);
  console.log(`kube-apiserver ready at ${kube.server}`);
}

async function reconcile(kubeconfig: string, name: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const image = 'ghcr.io/hebrew-voice-agent/hebrew-voice-agent:0.1.0';
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: 'default',
    plural: 'voiceagents',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'VoiceAgent',
      metadata: { name },
      spec: {
        image,
        replicas: 1,
        twilio: { publicHost: 'voice.example.com', authTokenSecretRef: { name: 'twilio' } },
      },
    },
  });
  const deployment = await waitFor(
    `Deployment ${name}`,
    () => apps.readNamespacedDeployment({ name, namespace: 'default' }),
    60_000,
  );
  const observed = await waitFor(
    `VoiceAgent ${name} status.observedGeneration`,
    async () => {
      const va = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'default',
        plural: 'voiceagents',
        name,
      })) as { status?: { observedGeneration?: number } };
      return va.status?.observedGeneration;
    },
    60_000,
  );
  const got = deployment.spec?.template.spec?.containers[0]?.image;
  if (got !== image) throw new Error(`Deployment ${name} runs '${got}', not '${image}'`);
  console.log(`Deployment ${name} (image ${got}), status.observedGeneration ${observed}`);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'serve' && a) await serve(a);
else if (mode === 'reconcile' && a && b) await reconcile(a, b);
else {
  console.error('usage: kube-for-smoke.ts serve <dir> | reconcile <kubeconfig> <name>');
  process.exit(2);
}
