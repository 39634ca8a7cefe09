import { createHmac } from 'node:crypto';
import type { Alert } from '@netfleet/shared';

/** Where alerts are delivered. */
export type SinkConfig =
  | {
    type: 'webhook';
    /** Unique sink name (metrics label, delivery history). */
    name: string;
    url: string;
    /** Signs the body: header `X-Netfleet-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
    secret?: string;
  }
  | { type: 'slack'; name: string; /** Slack incoming webhook URL. */ url: string }
  | {
    type: 'alertmanager';
    name: string;
    /** Alertmanager base URL; alerts are POSTed to `<url>/api/v2/alerts`. */
    url: string;
  };

/** One HTTP request that delivers an alert. */
export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryContext {
  /** Base URL of the hub, for links back. */
  publicUrl: string;
  /** Alertmanager: how long a firing alert stays valid without being sent again. */
  firingValidityMs: number;
  now: number;
  /**
   * The notification's id, the same on every attempt to deliver it: a receiver that gets it
   * twice (a retry after an answer that was lost, a job run again after a stall) drops the second.
   */
  deliveryId: string;
}

/** Builds the request for one sink; pure, so each format is tested on its own. */
export function buildDelivery(sink: SinkConfig, alert: Alert, context: DeliveryContext): DeliveryRequest {
  const json = { 'content-type': 'application/json' };
  switch (sink.type) {
    case 'webhook': {
      const body = JSON.stringify({ version: 1, sentAt: new Date(context.now).toISOString(), alert });
      const headers: Record<string, string> = { ...json, 'x-netfleet-delivery': context.deliveryId };
      if (sink.secret) headers['x-netfleet-signature'] = `sha256=${createHmac('sha256', sink.secret).update(body).digest('hex')}`;
      return { url: sink.url, headers, body };
    }
    case 'slack':
      return { url: sink.url, headers: json, body: JSON.stringify(slackMessage(alert)) };
    case 'alertmanager':
      return {
        url: `${sink.url.replace(/\/+$/, '')}/api/v2/alerts`,
        headers: json,
        body: JSON.stringify([{
          labels: alert.labels,
          annotations: { summary: alert.summary, fingerprint: alert.fingerprint },
          startsAt: alert.startsAt,
          // A firing alert gets an end in the future that the repeat pass pushes on; a
          // resolved one ends when it was resolved.
          endsAt: alert.endsAt ?? new Date(context.now + context.firingValidityMs).toISOString(),
          generatorURL: `${context.publicUrl.replace(/\/+$/, '')}/api/v1/clusters/${encodeURIComponent(alert.labels.cluster ?? '')}`,
        }]),
      };
  }
}

function slackMessage(alert: Alert) {
  const firing = alert.status === 'firing';
  const badge = firing ? `[FIRING:${alert.severity}]` : '[RESOLVED]';
  return {
    text: `${badge} ${alert.labels.alertname ?? alert.rule} on ${alert.labels.cluster ?? '?'}: ${alert.summary}`,
    attachments: [{
      color: firing ? (alert.severity === 'critical' ? 'danger' : 'warning') : 'good',
      fields: Object.entries(alert.labels).map(([title, value]) => ({ title, value, short: true })),
    }],
  };
}
