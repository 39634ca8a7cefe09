import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './common.js';

export const ManifestSetSpec = Strict({
  path: Type.String({
    pattern: '^manifests(/[^/.][^/]*)*$',
    expected: 'a folder under manifests/, such as "manifests/base"',
    description: 'Folder of plain Kubernetes manifests (all *.yaml below it).',
  }),
});
export type ManifestSetSpec = Static<typeof ManifestSetSpec>;
