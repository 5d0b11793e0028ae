import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

/** Values shorter than this are not hidden in problems: replacing them would garble every message. */
const MIN_HIDDEN_LENGTH = 4;

/**
 * Where configuration values come from: environment variables, and for any variable NAME the
 * file named by NAME_FILE (a mounted secret: Docker, Kubernetes, systemd credentials). Collects
 * every problem, and remembers secret values so that no problem ever prints one.
 */
export class Sources {
  readonly env: Env;
  readonly problems: string[] = [];
  /** Secret value → what a problem shows instead (`${SMTP_PASS}`, `HERALD_API_KEY`). */
  private readonly hidden = new Map<string, string>();

  constructor(env: Env) {
    this.env = env;
  }

  /**
   * NAME's value, or the contents of the file NAME_FILE names with one trailing newline removed;
   * undefined when neither is set. Setting both is a problem. A value read from a file is secret.
   */
  lookup(name: string): string | undefined {
    const direct = this.env[name];
    const file = this.env[`${name}_FILE`];
    if (file === undefined || file === '') return direct;
    if (direct !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set: set only one`);
      return direct;
    }
    try {
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      this.hide(value, `<contents of ${name}_FILE>`);
      return value;
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.problems.push(`${name}_FILE: cannot read ${file} (${reason})`);
      return undefined;
    }
  }

  /** Problems show `label` wherever `value` would appear. */
  hide(value: string, label: string): void {
    if (value.length >= MIN_HIDDEN_LENGTH && !this.hidden.has(value)) this.hidden.set(value, label);
  }

  /** The problems, each once, with every secret value replaced by its label (longest first). */
  redactedProblems(): string[] {
    const secrets = [...this.hidden].sort(([a], [b]) => b.length - a.length);
    const redacted = this.problems.map((p) =>
      secrets.reduce((text, [value, label]) => text.replaceAll(value, label), p),
    );
    return [...new Set(redacted)];
  }
}
