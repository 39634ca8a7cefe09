import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { SecretShape } from './agent-manifests.js';

/** What an `install --export` prints: objects, Secrets to create by hand, and notes. */
export interface ExportedManifests {
  title: string;
  objects: KubernetesObject[];
  secrets: SecretShape[];
  notes: string[];
}

const comment = (text: string) => text.split('\n').map((line) => (line ? `# ${line}` : '#')).join('\n');

/**
 * Multi-document YAML for `kubectl apply -f -`. The Secrets are comments only: applying an
 * empty Secret would later overwrite (or conflict with) the one holding the real values.
 */
export function manifestsYaml(manifests: ExportedManifests): string {
  const header: string[] = [manifests.title];
  if (manifests.secrets.length > 0) {
    header.push('', `Create these Secrets yourself (netfleet never prints secret values):`);
    for (const secret of manifests.secrets) {
      header.push(`  ${secret.create}`);
      const shape = { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, namespace: secret.namespace }, type: secret.type ?? 'Opaque', data: Object.fromEntries(Object.entries(secret.keys).map(([key, what]) => [key, `<base64 of ${what}>`])) };
      header.push(...stringify(shape).trimEnd().split('\n').map((line) => `    ${line}`));
    }
  }
  for (const note of manifests.notes) header.push('', note);
  const documents = manifests.objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd());
  return `${comment(header.join('\n'))}\n${documents.join('\n---\n')}\n`;
}

/** A `v1` List, which `kubectl apply -f -` takes as well. Secrets and notes are left to the YAML output. */
export function manifestsJson(manifests: ExportedManifests): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests.objects }, null, 2)}\n`;
}
