/**
 * MariaDB from Debian, run as our own server: its own data folder (made once with
 * mariadb-install-db), its own socket, TCP on 127.0.0.1 only, and none of the system's
 * option files (--no-defaults), so a packaged /etc/mysql setup cannot leak in.
 *
 * MariaDB's root account has no password and is reachable through the socket only, where
 * provisioning uses it; apps and tests connect over TCP as the `sluice` user, which may
 * create and drop databases (each test makes its own).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { LOCAL_DEFAULTS } from '@sluice/config';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import { findExecutable, runCommand } from '../run-command.ts';
import { ensureServiceTls } from '../service-tls.ts';

export const mariadb: ServiceDriver = {
  name: 'mysql',
  aptPackages: ['mariadb-server'],
  startTimeoutMs: 60_000,
  async prepare(ctx) {
    await ctx.installers.apt('mariadb-server');
    const { dataDir } = ctx.paths;
    const user = userInfo().username;
    // The marker is written once mariadb-install-db succeeded; a half-made folder from a
    // killed run has none, and is removed and made again.
    const marker = join(dataDir, '.sluice-initialized');
    if (!existsSync(marker)) {
      ctx.say('mysql: creating its data folder with mariadb-install-db');
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      await runCommand(
        findExecutable('mariadb-install-db') ?? 'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${dataDir}`,
          `--user=${user}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--skip-name-resolve',
        ],
        { logFile: ctx.infra.installLog },
      );
      writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    // TLS for clients that ask for it; plaintext clients are still served.
    const tls = ensureServiceTls(ctx.paths.dir, 'sluice-local-mysql');
    return {
      command: findExecutable('mariadbd') ?? 'mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socketPath(ctx)}`,
        `--pid-file=${join(ctx.paths.dir, 'mariadbd.pid')}`,
        `--bind-address=${ctx.host}`,
        `--port=${ctx.port}`,
        // mariadbd refuses to run as root unless told to; any other user runs as itself.
        `--user=${user}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--innodb-buffer-pool-size=256M',
        '--innodb-log-file-size=64M',
        '--max-connections=500',
        `--ssl-ca=${tls.ca}`,
        `--ssl-cert=${tls.serverCert}`,
        `--ssl-key=${tls.serverKey}`,
        // Tests commit constantly; flushing the log once a second instead of per commit
        // keeps them fast, and a crash of a local test database may lose a second.
        '--innodb-flush-log-at-trx-commit=2',
      ],
    };
  },

  async ready(ctx, signal) {
    while (!signal.aborted) {
      try {
        const connection = await rootConnection(ctx);
        await connection.end();
        return;
      } catch {
        await sleep(200);
      }
    }
    throw signal.reason;
  },

  async provision(ctx) {
    const connection = await rootConnection(ctx);
    const { mysqlUser: user, mysqlPassword: password, mysqlDatabase: database } = LOCAL_DEFAULTS;
    try {
      await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      for (const host of ['%', 'localhost']) {
        await connection.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
        await connection.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
        // Every privilege on every database: tests create and drop their own databases.
        await connection.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', [user, host]);
      }
    } finally {
      await connection.end();
    }
  },
};

function socketPath(ctx: ServiceContext): string {
  return join(ctx.paths.dir, 'mysqld.sock');
}

async function rootConnection(ctx: ServiceContext): Promise<mysql.Connection> {
  return mysql.createConnection({ socketPath: socketPath(ctx), user: 'root', connectTimeout: 2000 });
}
