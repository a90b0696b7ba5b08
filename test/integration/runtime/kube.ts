// Shared set-up for runtime integration tests: a KubeConfig for the real kube-apiserver of the global
// setup, and a namespace of their own so tests do not see each other's objects.
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";

export function kubeConfig(): KubeConfig {
  const { kubeconfigPath } = inject("localStack");
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

export async function createNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  // No namespace controller runs in the local stack (no kube-controller-manager), so the namespace
  // stays Terminating; its objects are left for the process exit to discard with the stack.
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}
