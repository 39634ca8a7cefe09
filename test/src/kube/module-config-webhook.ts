/**
 * DKP's ModuleConfig validating webhook: `spec.settings` must match the module's settings
 * schema (`module-config/<module>.yaml`, unknown keys are errors) and `spec.version` is
 * required when settings are given. Denials read as kube-apiserver v1.28 relays them.
 */
import { KubeStatusError, fieldErrors, type FieldError } from './status.js';
import { isObject, metadataOf } from './json.js';
import { validateValue } from './schema.js';
import type { ValidatingAdmission } from './handlers.js';
import type { ModuleSettingsSchema } from '../dkp.js';

export const MODULE_CONFIG_WEBHOOK = 'module-configs.deckhouse-webhook.deckhouse.io';

/** The webhook; `schemas` is called on the first ModuleConfig write (the files are read lazily). */
export function moduleConfigWebhook(schemas: () => Map<string, ModuleSettingsSchema>): ValidatingAdmission {
  return ({ type, object, warnings }) => {
    if (type.group !== 'deckhouse.io' || type.kind !== 'ModuleConfig') return;
    const name = String(metadataOf(object).name);
    const schema = schemas().get(name);
    const spec = isObject(object.spec) ? object.spec : {};
    const settings = spec.settings;
    const hasSettings = isObject(settings) && Object.keys(settings).length > 0;
    const errors: FieldError[] = [];
    if (hasSettings && spec.version === undefined) {
      errors.push(fieldErrors.required('spec.version', 'is required when spec.settings is not empty'));
    }
    if (schema && hasSettings && typeof spec.version === 'number') {
      if (spec.version > schema.configVersion) {
        errors.push(fieldErrors.notSupported('spec.version', spec.version, Array.from({ length: schema.configVersion }, (_, index) => index + 1)));
      } else if (spec.version < schema.configVersion) {
        warnings.push(`ModuleConfig "${name}": settings of version ${spec.version} are converted to version ${schema.configVersion} by Deckhouse; this server does not check them`);
      } else {
        errors.push(...validateValue(settings, schema.schema, 'spec.settings', { rejectUnknownFields: true }));
      }
    }
    if (errors.length === 0) return;
    // kube-apiserver v1.28 turns a denial without a code into 400 with no reason and no details.
    const rendered = errors.map((error) => `${error.field}: ${error.message}`).join('; ');
    throw new KubeStatusError(400, '', `admission webhook "${MODULE_CONFIG_WEBHOOK}" denied the request: ModuleConfig "${name}": ${rendered}`);
  };
}
