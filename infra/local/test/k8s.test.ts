/**
 * Every manifest of infra/k8s is valid, strictly (an unknown field is an error), for the oldest
 * Kubernetes Sluice supports, with KEDA's ScaledObject checked against KEDA's own CRD; and
 * kustomization.yaml lists every one of them. Offline: the schemas are installed once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, before, test } from 'node:test';
import { k8sValidator, type K8sValidator } from '../src/install-k8s-validator.ts';
import { VERSIONS } from '../src/versions.ts';

const k8sDir = join(import.meta.dirname, '..', '..', 'k8s');

/** The manifests: every YAML file but the kustomization and the Prometheus rules. */
function manifests(dir = k8sDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'alerts' ? [] : manifests(path);
    return entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml' ? [path] : [];
  });
}

async function validate(
  tool: K8sValidator,
  files: readonly string[],
): Promise<{ code: number; output: string }> {
  const args = [
    tool.script,
    '--kubernetes',
    VERSIONS.kubernetes,
    ...tool.crds.flatMap((c) => ['--crd', c]),
    ...files,
  ];
  try {
    const { stdout } = await promisify(execFile)(tool.python, args, {
      env: { ...process.env, PYTHONPATH: tool.pythonPath },
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('infra/k8s', { timeout: 600_000 }, () => {
  let tool: K8sValidator;
  before(async () => {
    tool = await k8sValidator();
  });

  test(`every manifest is valid for Kubernetes ${VERSIONS.kubernetes} (KEDA ${VERSIONS.keda})`, async () => {
    const { code, output } = await validate(tool, manifests());
    assert.equal(code, 0, output);
    for (const kind of [
      'Deployment',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'ScaledObject',
      'Secret',
    ])
      assert.match(output, new RegExp(`valid +\\S+: ${kind}/`), `a ${kind} was checked`);
  });

  test('an unknown field is refused, in a built-in kind and in a ScaledObject', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-k8s-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(join(k8sDir, 'autoscaling.yaml'), 'utf8').replace('minReplicaCount', 'minReplicas') +
        '---\n' +
        readFileSync(join(k8sDir, 'disruption.yaml'), 'utf8').replace('maxUnavailable', 'maxUnavailible'),
    );
    const { code, output } = await validate(tool, [broken]);
    assert.equal(code, 1, output);
    assert.match(output, /ScaledObject\/part-writer: spec: .*'minReplicas' was unexpected/);
    assert.match(output, /PodDisruptionBudget\/ingest-api: spec: .*'maxUnavailible' was unexpected/);
  });

  test('kustomization.yaml lists every manifest', () => {
    const listed = readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8');
    const missing = manifests()
      .map((file) => relative(k8sDir, file))
      .filter((file) => !file.startsWith('registry/') && !listed.includes(`- ${file}`));
    assert.deepEqual(missing, [], 'manifests kustomization.yaml does not apply');
  });
});
