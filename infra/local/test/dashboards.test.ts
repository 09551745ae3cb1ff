import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DASHBOARD_DIR,
  dashboardQueries,
  requireServices,
  serviceUrl,
  withGrafanaVariables,
} from '@sluice/testing';

const provisioned = readFileSync(
  join(DASHBOARD_DIR, '..', 'provisioning', 'datasources', 'prometheus.yml'),
  'utf8',
);
const datasourceUid = /^\s*uid:\s*(\S+)/m.exec(provisioned)?.[1];

interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: { readonly uid?: string };
  readonly gridPos?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly { readonly expr?: string; readonly datasource?: { readonly uid?: string } }[];
}

describe('Grafana dashboards', () => {
  const files = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));

  it('exist, and read every panel from the provisioned Prometheus', () => {
    assert.ok(files.length > 0, `no dashboard in ${DASHBOARD_DIR}`);
    assert.ok(datasourceUid, 'the provisioned Prometheus data source has a uid');
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as {
        uid?: string;
        title?: string;
        panels: Panel[];
      };
      assert.ok(dashboard.uid && dashboard.title, `${file} has a uid and a title`);
      const ids = dashboard.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: panel ids are unique`);
      for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
        const where = `${file}: panel "${panel.title}"`;
        assert.equal(panel.datasource?.uid, datasourceUid, `${where} reads the provisioned data source`);
        assert.ok((panel.targets ?? []).length > 0, `${where} has queries`);
        for (const target of panel.targets ?? []) {
          assert.equal(target.datasource?.uid, datasourceUid, where);
          assert.ok(target.expr?.trim(), `${where} has an empty query`);
        }
        const pos = panel.gridPos;
        assert.ok(pos && pos.x >= 0 && pos.w > 0 && pos.x + pos.w <= 24, `${where} fits the 24-column grid`);
      }
    }
  });

  it('ask only what Prometheus accepts', async () => {
    await requireServices(['prometheus']);
    const prometheus = serviceUrl('prometheus');
    const queries = dashboardQueries();
    assert.ok(queries.length > 10);
    for (const { dashboard, panel, expr } of queries) {
      const url = `${prometheus}/api/v1/query?query=${encodeURIComponent(withGrafanaVariables(expr))}`;
      const reply = (await (await fetch(url)).json()) as { status: string; error?: string };
      assert.equal(reply.status, 'success', `${dashboard}: panel "${panel}": ${expr}: ${reply.error}`);
    }
  });
});
