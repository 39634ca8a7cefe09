import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, severityOf, type AlertCondition } from '../alerts/rules.js';
import { rolloutIdOf } from './ids.js';
import { RolloutPhase, type RolloutHeader } from './machine.js';
import type { RolloutStore } from './store.js';

/** The phases that raise an alert, and their rule. */
const RULES: Partial<Record<RolloutHeader['phase'], AlertRule>> = {
  [RolloutPhase.Paused]: AlertRule.RolloutPaused,
  [RolloutPhase.Failed]: AlertRule.RolloutFailed,
  [RolloutPhase.RolledBack]: AlertRule.RolloutRolledBack,
};
const ROLLOUT_RULES = Object.values(RULES);

function conditionOf(rule: AlertRule, rollout: RolloutHeader): AlertCondition {
  const severity = severityOf(rule);
  return {
    rule,
    fingerprint: `${rule}:${rollout.id}`,
    severity,
    summary: `rollout ${rollout.id} of revision ${rollout.revision.slice(0, 12)} ${rollout.phase}${rollout.reason ? `: ${rollout.reason}` : ''}`,
    labels: { alertname: rule, severity, rollout: rollout.id, revision: rollout.revision, policy: rollout.policy.name },
  };
}

/**
 * Rollout alerts, kept in line with the stored rollouts by the controller on every tick
 * (so a pause from the API, or a leader change, is caught up): a paused or failed rollout
 * fires until it leaves that state; a rollback fires until a later rollout is done.
 */
export class RolloutAlerts {
  constructor(private readonly alerts: AlertEngine, private readonly store: RolloutStore) {}

  async reconcile(current: RolloutHeader | null, now: number): Promise<void> {
    const rule = current && RULES[current.phase];
    if (current && rule) await this.alerts.fire(conditionOf(rule, current), now);
    const firing = await this.alerts.firing(ROLLOUT_RULES);
    if (firing.length === 0) return;
    const lastGood = await this.store.lastGoodRevision();
    const good = lastGood === null ? null : await this.store.header(rolloutIdOf(lastGood));
    for (const alert of firing) {
      const rollout = await this.store.header(alert.labels.rollout ?? '');
      const holds = alert.rule === AlertRule.RolloutRolledBack
        ? rollout !== null && !(good !== null && good.createdAt > rollout.createdAt)
        : rollout !== null && RULES[rollout.phase] === alert.rule;
      if (!holds) await this.alerts.resolve(alert.fingerprint, now);
    }
  }
}
