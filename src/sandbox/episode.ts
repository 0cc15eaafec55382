import type { ShellConfig } from "../config/shell-schema.ts";
import { InterruptedError, SekftError } from "../errors.ts";
import { BASE_ENV, Sandbox } from "./container.ts";
import type { DockerEngine } from "./docker.ts";
import { type FixtureFile, packFixtures } from "./fixtures.ts";
import type { SandboxImage } from "./image.ts";
import { Session, type Terminal, type Turn } from "./session.ts";

/** What an episode needs from the run: the engine, the image, limits and the abort signal. */
export interface EpisodeEnv {
  engine: DockerEngine;
  image: SandboxImage;
  sandbox: ShellConfig["sandbox"];
  signal: AbortSignal;
}

/** The state an episode starts from: files to place and the environment the session starts with. */
export interface EpisodeSetup {
  fixtures: FixtureFile[];
  env: Record<string, string>;
}

// The checker's whole environment: nothing the operator exported reaches it.
const CHECKER_ENV = { PATH: "/usr/bin:/bin", HOME: "/", LC_ALL: "C" };

/** What a checker said about the final state. */
export interface CheckResult {
  exitCode: number;
  /** The checker's stdout and stderr, trimmed to its last 500 characters. */
  output: string;
}

/**
 * One disposable container driven turn by turn: open it with a scenario's fixtures, `run` commands one at a
 * time (a gate replays a list, an operator decides each next command from the last output), then `check`
 * the final state once. Disposal removes the container whatever happened.
 */
export class Episode implements AsyncDisposable {
  private checked = false;
  private constructor(
    private readonly box: Sandbox,
    private readonly session: Session,
    private readonly env: EpisodeEnv,
    /** Milliseconds from the request to a container holding the fixtures. */
    readonly readyMs: number,
  ) {}

  /** Starts a fresh container and places the fixtures; nothing is left behind if this throws. */
  static async open(env: EpisodeEnv, setup: EpisodeSetup): Promise<Episode> {
    const started = performance.now();
    const box = await Sandbox.start(env.engine, env.image, env.sandbox, env.signal, setup.env);
    try {
      const tars = await packFixtures(setup.fixtures);
      await Promise.all([...tars].map(([root, tarball]) => box.putArchive(root, tarball)));
    } catch (error) {
      await box[Symbol.asyncDispose]();
      throw error;
    }
    const session = new Session(box, {
      commandTimeoutMs: env.sandbox.command_timeout_s * 1000,
      maxOutput: env.sandbox.max_output_bytes,
      baseEnvNames: Object.keys({ ...BASE_ENV, ...setup.env }),
    });
    return new Episode(box, session, env, performance.now() - started);
  }

  /** Every command run so far, with its output and exit code. */
  get turns(): readonly Turn[] {
    return this.session.turns;
  }

  /** The terminal the operator chose (`exit`, `panic`), or `none` while the episode goes on. */
  get terminal(): Terminal {
    return this.session.terminal;
  }

  /** True once a terminal was given or the state was checked: no command may run after it. */
  get ended(): boolean {
    return this.session.ended || this.checked;
  }

  /** Runs one command (or records the terminal it names) and returns what it printed. */
  async run(cmd: string): Promise<Turn | Terminal> {
    if (this.env.signal.aborted) throw new InterruptedError();
    if (this.ended) throw new SekftError("the episode has ended: no command may run after its terminal or its check");
    return this.session.run(cmd);
  }

  /**
   * Checks the final state, once, so that the operator cannot game it: first every process the operator left
   * (a background loop forging the state, a daemon) is killed; then the checker, whose text was never in the
   * container, runs as root — a user the operator cannot become — with a clean environment, PATH and cwd.
   */
  async check(checker: string): Promise<CheckResult> {
    if (this.checked) throw new SekftError("the episode was already checked");
    this.checked = true;
    const asRoot = { user: "0:0", env: CHECKER_ENV, workdir: "/" };
    // kill(-1) spares the caller and PID 1 (the container's own sleep); a second pass catches forks in flight.
    await this.box.exec(["sh", "-c", "kill -9 -1 2>/dev/null; sleep 0.05; kill -9 -1 2>/dev/null; exit 0"], { ...asRoot, maxOutput: 256, timeoutMs: 10_000 });
    const r = await this.box.exec(["sh", "-c", checker, "checker"], { ...asRoot, maxOutput: 4096, timeoutMs: this.env.sandbox.checker_timeout_s * 1000 });
    return { exitCode: r.exitCode, output: (r.stdout + r.stderr).trim().slice(-500) };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.box[Symbol.asyncDispose]();
  }
}
