/**
 * What each local service tells the orchestrator: how to install and configure it, the
 * command that runs it, how to tell it has started, and what to create in it once it has.
 */
import type { ServiceName } from '@sluice/config';
import type { Installers } from './installers.ts';
import type { AptPackage } from './install-apt.ts';
import type { InfraPaths, ServicePaths } from './paths.ts';

/** Everything a driver needs to know about the run it is part of. */
export interface ServiceContext {
  readonly name: ServiceName;
  /** Always 127.0.0.1: nothing is exposed beyond this machine. */
  readonly host: string;
  readonly port: number;
  readonly paths: ServicePaths;
  readonly infra: InfraPaths;
  readonly installers: Installers;
  /** The environment the orchestrator was started with. */
  readonly env: NodeJS.ProcessEnv;
  /** Tells the user about progress (on stderr for the CLI). */
  readonly say: (message: string) => void;
}

/** The long-running command of a service. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Extra variables on top of the orchestrator's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. @default the service's folder */
  readonly cwd?: string;
}

/** One service's driver. */
export interface ServiceDriver {
  readonly name: ServiceName;
  /** Debian packages the service's programs come from. */
  readonly aptPackages: readonly AptPackage[];
  /** How long the service may take from start to healthy. */
  readonly startTimeoutMs: number;
  /** Services that must be healthy before this one starts (it stores its data in them). */
  readonly needs?: readonly ServiceName[];
  /**
   * Installs what is missing, writes configuration, initialises the data folder when it
   * is new, and returns the command to run. Safe to repeat.
   */
  prepare(ctx: ServiceContext): Promise<LaunchSpec>;
  /**
   * Resolves once the freshly started process accepts work, before `provision`. When
   * absent, the service's health probe is used. `signal` aborts when the orchestrator
   * gives up (timeout, or the process exited).
   */
  ready?(ctx: ServiceContext, signal: AbortSignal): Promise<void>;
  /** Creates what apps expect to exist (bucket, database and user). Safe to repeat. */
  provision?(ctx: ServiceContext): Promise<void>;
}
