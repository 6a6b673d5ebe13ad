/** The semantic rules, run in this order after schema validation. A duplicate name throws. */
import type { Rule } from './context.js';
import { singleProfile, uniqueNames } from './names.js';
import { dependencyCycles, references } from './references.js';
import { limitsFitNodes, limitsMatchRequests, satisfiableRequests } from './resources.js';
import { bounds } from './bounds.js';
import { schedules } from './schedules.js';
import { jsonLogic } from './logic.js';
import { quotaCohorts } from './quotas.js';
import { crossField } from './misc.js';
import { policies } from './policies.js';
import { driverRoles, driverSettings } from './drivers.js';
import { awsSettings } from './aws.js';

function register(list: Rule[]): readonly Rule[] {
  const seen = new Set<string>();
  for (const r of list) {
    if (seen.has(r.name)) throw new Error(`semantic rule '${r.name}' is registered twice`);
    seen.add(r.name);
  }
  return Object.freeze(list);
}

export const RULES = register([
  uniqueNames, singleProfile, references, dependencyCycles, satisfiableRequests, limitsMatchRequests, limitsFitNodes,
  bounds, schedules, jsonLogic, quotaCohorts, crossField, driverSettings, driverRoles, awsSettings, policies,
]);
