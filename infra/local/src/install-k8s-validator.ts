/**
 * The offline Kubernetes manifest check of `infra/k8s` (infra/local/k8s/validate.py): the
 * JSON schemas of the built-in kinds come with kubernetes-validate from PyPI, installed with
 * its dependencies into a folder of its own (`pip install --target`, so no virtualenv paths
 * are baked in); KEDA's ScaledObject CRD comes from KEDA's Go module, through the Go module
 * proxy. Nothing is fetched from GitHub.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraPaths } from './paths.ts';
import { findExecutable, runCommand } from './run-command.ts';
import { ensureTool } from './tool-dir.ts';
import { VERSIONS } from './versions.ts';

/** How to run the check. */
export interface K8sValidator {
  readonly python: string;
  /** PYTHONPATH holding kubernetes-validate and its dependencies. */
  readonly pythonPath: string;
  /** The CRD files of the custom resources the manifests use. */
  readonly crds: readonly string[];
  /** The script. */
  readonly script: string;
}

const SCRIPT = join(import.meta.dirname, '..', 'k8s', 'validate.py');

function python(): string {
  const found = findExecutable('python3');
  if (found === undefined) throw new Error('the Kubernetes manifest check needs python3 on PATH');
  return found;
}

/** The installed check, installing it first when needed. */
export async function k8sValidator(env: NodeJS.ProcessEnv = process.env): Promise<K8sValidator> {
  const paths = infraPaths(env);
  const dir = await ensureTool({
    toolsDir: paths.tools,
    name: 'k8s-validator',
    version: `${VERSIONS.kubernetesValidate}-keda-${VERSIONS.keda}`,
    build: async (target) => {
      const log = { logFile: paths.installLog, hint: 'PyPI and the Go module proxy must be reachable.' };
      await runCommand(
        python(),
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--target',
          join(target, 'site'),
          `kubernetes-validate==${VERSIONS.kubernetesValidate}`,
        ],
        log,
      );
      const go = findExecutable('go');
      if (go === undefined) throw new Error("the Kubernetes manifest check needs Go on PATH, for KEDA's CRD");
      const module = `github.com/kedacore/keda/v2@${VERSIONS.keda}`;
      await runCommand(go, ['mod', 'download', module], { ...log, cwd: target });
      const cache = (await runCommand(go, ['env', 'GOMODCACHE'], { ...log, cwd: target })).trim();
      copyFileSync(
        join(cache, module, 'config', 'crd', 'bases', 'keda.sh_scaledobjects.yaml'),
        join(target, 'keda.sh_scaledobjects.yaml'),
      );
    },
  });
  return {
    python: python(),
    pythonPath: join(dir, 'site'),
    crds: [join(dir, 'keda.sh_scaledobjects.yaml')],
    script: SCRIPT,
  };
}
