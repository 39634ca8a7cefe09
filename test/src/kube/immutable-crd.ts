/** Test fixtures of immutable fields, shared by the API test server's tests and the agent's. */
import { objectSchema } from './crd-schema.js';

/**
 * A small CRD whose `spec.tableID` is immutable through a CEL transition rule
 * (`self == oldSelf`, the pattern DKP's RoutingTable uses), so immutable-field tests do
 * not depend on the DKP reference files.
 */
export const IMMUTABLE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'tables.immutable.netfleet.test' },
  spec: {
    group: 'immutable.netfleet.test', scope: 'Cluster',
    names: { plural: 'tables', singular: 'table', kind: 'Table', listKind: 'TableList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: objectSchema({
        properties: {
          tableID: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'tableID is immutable field' }] },
          gateway: { type: 'string' },
        },
      }),
    }],
  },
};

/** An object of {@link IMMUTABLE_CRD}. */
export const immutableTable = (name: string, tableID: number) => ({
  apiVersion: 'immutable.netfleet.test/v1', kind: 'Table', metadata: { name }, spec: { tableID, gateway: '192.168.0.1' },
});
