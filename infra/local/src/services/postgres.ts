/**
 * PostgreSQL from Debian, run as our own server: its own data folder (made once with
 * initdb), its own socket folder, TCP on 127.0.0.1 only, and none of Debian's cluster
 * setup (/etc/postgresql, pg_ctlcluster) is used or started.
 *
 * PostgreSQL refuses to run as root. Run by root, `up` starts initdb and the server as the
 * `postgres` user apt creates, through setpriv (which execs, so no process of root's stays
 * in between). Run by anyone else, they run as that user. Either way the data and socket
 * folders belong to the user the server runs as, and only it (and root) may enter them.
 *
 * The `postgres` superuser logs in through the socket only, where provisioning uses it:
 * local logins are trusted, and over TCP every login needs a password (scram-sha-256),
 * which it has none of. Apps and tests connect over TCP as `sluice`, which may create
 * databases and drop the ones it owns (each test makes its own).
 *
 * `down` sends SIGTERM to the recorded process group. The postmaster takes SIGTERM as a
 * smart shutdown, which waits for every client to leave (a test's idle pool would hold it
 * until `down` gives up and kills it), and its backends, each in a session of its own,
 * never see the signal. So the recorded process is a small bash wrapper around the server
 * that turns SIGTERM into SIGINT, a fast shutdown: sessions are ended, a checkpoint is
 * written, and the server exits; the wrapper exits with it.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { postgresBinDir } from '../install-apt.ts';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import { findExecutable, runCommand } from '../run-command.ts';

const SUPERUSER = 'postgres';

// Runs "$@" and sends it SIGINT on SIGTERM or SIGINT. A trapped signal cuts `wait` short, so
// it waits again until the server has exited, and exits with the server's status.
const FAST_SHUTDOWN_ON_TERM = `trap 'kill -INT "$server" 2>/dev/null' TERM INT
"$@" &
server=$!
while :; do
  wait "$server"; status=$?
  kill -0 "$server" 2>/dev/null || exit "$status"
done`;

/** The system user the server runs as when `up` runs as root. */
interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

export const postgres: ServiceDriver = {
  name: 'postgres',
  aptPackages: ['postgresql'],
  startTimeoutMs: 60_000,
  async prepare(ctx) {
    await ctx.installers.apt('postgresql');
    const { dataDir } = ctx.paths;
    const owner = await serverUser(ctx);
    // The marker is written once initdb succeeded; a half-made folder from a killed run has
    // none, and is removed and made again.
    const marker = join(dataDir, '.sluice-initialized');
    if (!existsSync(marker)) {
      ctx.say('postgres: creating its data folder with initdb');
      rmSync(dataDir, { recursive: true, force: true });
      ownFolder(dataDir, owner);
      const initdb = join(binDir(), 'initdb');
      await runCommand(
        ...asOwner(owner, initdb, [
          `--pgdata=${dataDir}`,
          `--username=${SUPERUSER}`,
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          '--encoding=UTF8',
          '--no-locale',
          '--no-instructions',
          // Unsynced like the server below (fsync=off).
          '--no-sync',
        ]),
        { cwd: ctx.paths.dir, logFile: ctx.infra.installLog },
      );
      writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    ownFolder(socketDir(ctx), owner);
    const [server, serverArgs] = asOwner(owner, join(binDir(dataMajor(dataDir)), 'postgres'), [
      '-D',
      dataDir,
      '-k',
      socketDir(ctx),
      '-h',
      ctx.host,
      '-p',
      String(ctx.port),
      // A test database: nothing is flushed to disk, commits return before their WAL is
      // written. A killed server loses nothing the kernel already has; a crash of the
      // machine may leave the cluster corrupt, and `npm run infra -- reset postgres` makes it
      // anew.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      // Every test opens its own pools, to databases of its own.
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=128MB',
    ]);
    return {
      command: findExecutable('bash') ?? 'bash',
      args: ['-c', FAST_SHUTDOWN_ON_TERM, 'postgres-wrapper', server, ...serverArgs],
    };
  },

  async ready(ctx, signal) {
    while (!signal.aborted) {
      try {
        await asSuperuser(ctx, (client) => client.query('SELECT 1'));
        return;
      } catch {
        await sleep(200);
      }
    }
    throw signal.reason;
  },

  async provision(ctx) {
    const { postgresUser: user, postgresPassword: password, postgresDatabase: database } = LOCAL_DEFAULTS;
    const role = escapeIdentifier(user);
    await asSuperuser(ctx, async (client) => {
      const roles = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      if (roles.rowCount === 0) await client.query(`CREATE ROLE ${role}`);
      // Set every time: undoes a changed password or a dropped privilege.
      await client.query(`ALTER ROLE ${role} LOGIN CREATEDB NOSUPERUSER PASSWORD ${escapeLiteral(password)}`);
      const databases = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (databases.rowCount === 0) {
        await client.query(`CREATE DATABASE ${escapeIdentifier(database)} OWNER ${role}`);
      }
    });
  },
};

function socketDir(ctx: ServiceContext): string {
  return join(ctx.paths.dir, 'socket');
}

function binDir(major?: string): string {
  const dir = postgresBinDir(major);
  if (dir !== undefined) return dir;
  throw new Error(
    major === undefined
      ? 'no PostgreSQL server programs in /usr/lib/postgresql/<major>/bin: install them with apt-get install postgresql'
      : `the data folder was made by PostgreSQL ${major}, whose programs are gone from ` +
          `/usr/lib/postgresql/${major}/bin: install postgresql-${major}, or start afresh with ` +
          '`npm run infra -- reset postgres`',
  );
}

/** The major version that made the data folder (initdb writes it to PG_VERSION). */
function dataMajor(dataDir: string): string {
  return readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
}

/** The `postgres` system user when we are root; undefined when the server runs as us. */
async function serverUser(ctx: ServiceContext): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string): Promise<number> =>
    Number((await runCommand('id', [flag, SUPERUSER], { logFile: ctx.infra.installLog })).trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch (error) {
    throw new Error(
      `PostgreSQL refuses to run as root, and there is no \`${SUPERUSER}\` user to run it as: ` +
        `create one (useradd --system --user-group ${SUPERUSER}), or run \`up\` as another user`,
      { cause: error },
    );
  }
}

/** Makes a folder only the server's user may enter. */
function ownFolder(dir: string, owner: ServerUser | undefined): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
}

/**
 * The command that runs `command` as the server's user. The run folder may lie in root's
 * home (`~/.cache/sluice`, mode 0700), which that user could not pass through: it keeps
 * CAP_DAC_READ_SEARCH (reading and searching folders it does not own), nothing else of root.
 */
function asOwner(
  owner: ServerUser | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  if (owner === undefined) return [command, [...args]];
  return [
    findExecutable('setpriv') ?? 'setpriv',
    [
      `--reuid=${owner.uid}`,
      `--regid=${owner.gid}`,
      '--clear-groups',
      '--inh-caps=+dac_read_search',
      '--ambient-caps=+dac_read_search',
      '--',
      command,
      ...args,
    ],
  ];
}

async function asSuperuser(ctx: ServiceContext, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({
    host: socketDir(ctx),
    port: ctx.port,
    user: SUPERUSER,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
