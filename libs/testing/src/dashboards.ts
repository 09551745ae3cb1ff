import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the Grafana dashboards live (loaded by infra/compose's provisioning). */
export const DASHBOARD_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'infra',
  'compose',
  'grafana',
  'dashboards',
);

/** One Prometheus query of a dashboard panel. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly expr: string;
}

interface Panel {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly Panel[];
}

/** Every query of every dashboard, rows' nested panels included. */
export function dashboardQueries(dir: string = DASHBOARD_DIR): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels?: readonly Panel[] };
    const walk = (panels: readonly Panel[] = []): void => {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) {
          queries.push({ dashboard: file, panel: panel.title ?? '', expr: target.expr ?? '' });
        }
        walk(panel.panels);
      }
    };
    walk(dashboard.panels);
  }
  return queries;
}

/**
 * The metrics a query reads, by the name an app exports them under: a histogram's
 * `_bucket`, `_sum` and `_count` series all come from the histogram's own name.
 */
export function queriedMetrics(expr: string): string[] {
  const names = expr.match(/\bsluice_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_(bucket|sum|count)$/, '')))];
}

/** A query with Grafana's interval variables replaced, as Prometheus would receive it. */
export function withGrafanaVariables(expr: string, interval = '1m'): string {
  return expr.replaceAll('$__rate_interval', interval).replaceAll('$__interval', interval);
}
