import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Sources } from './sources.ts';
import { didYouMean } from './suggest.ts';

/**
 * The sections a providers file (HERALD_CONFIG) may have. Any other top-level key is refused, so
 * a misspelt `provider:` cannot silently leave every message in the outbox. A new section adds its
 * name here and its reader in config.ts.
 */
export const FILE_SECTIONS: readonly string[] = ['providers', 'routes', 'retention'];

/**
 * Reads the providers file: YAML, or JSON (a YAML parser reads both; duplicate keys are refused),
 * parsed first and only then `${VAR}` substituted inside string values, so a value with ` #`,
 * `: ` or `*` stays whole, and a `${VAR}` in a comment is just a comment. Every problem goes to
 * `src`; the answer is `{}` when the file cannot be used.
 */
export function readConfigFile(path: string, src: Sources): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    src.problems.push(`HERALD_CONFIG: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  const doc = parseDocument(text);
  const errors = [...doc.errors, ...doc.warnings];
  // One line each, without the parser's excerpt of the file: the line may hold a password.
  for (const e of errors) {
    const at = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    const message =
      e.code === 'MULTIPLE_DOCS'
        ? 'a second YAML document begins here (---): keep one'
        : e.message.split(' at line ')[0]!.split('\n')[0];
    src.problems.push(`${path}${at}: ${message}`);
  }
  if (errors.length > 0) return {};
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    src.problems.push(
      `${path} is empty: list providers under "providers:" (docs/providers/README.md), or unset HERALD_CONFIG`,
    );
    return {};
  }
  if (!isMapping(data)) {
    src.problems.push(`${path}: the top level must be a mapping with ${FILE_SECTIONS.join(', ')}`);
    return {};
  }
  for (const key of Object.keys(data)) {
    if (!FILE_SECTIONS.includes(key)) {
      src.problems.push(
        `${path}: "${key}" is not a section of the providers file (known: ${FILE_SECTIONS.join(', ')})` +
          didYouMean(key, FILE_SECTIONS),
      );
    }
  }
  return substitute(data, '', src) as Record<string, unknown>;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Substitutes `${VAR}` in every string value of a parsed tree; keys are left alone. */
function substitute(value: unknown, path: string, src: Sources): unknown {
  if (typeof value === 'string') return substituteString(value, path, src);
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, `${path}[${elementLabel(v, i)}]`, src));
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, path ? `${path}.${k}` : k, src)]),
    );
  }
  return value;
}

/** `providers[mail]` rather than `providers[0]` when the element has a name. */
function elementLabel(v: unknown, i: number): string {
  return isMapping(v) && typeof v.name === 'string' && v.name !== '' ? v.name : String(i);
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * `${VAR}` → VAR's value (or VAR_FILE's contents); `${VAR:-text}` → `text` when VAR is unset or
 * empty; `$${` → a literal `${`. A substituted value is not scanned again. Problems name the
 * place and the variable, never the text around it (it may be a literal password). A reference
 * that fails stays as written, so that checks of the value do not pile up more problems.
 */
function substituteString(text: string, path: string, src: Sources): string {
  return text.replace(REFERENCE, (match, inner: string | undefined) => {
    if (match === '$${') return '${';
    const ref = inner === undefined ? undefined : NAME_AND_DEFAULT.exec(inner);
    if (!ref) {
      src.problems.push(
        `${path}: a \${…} must name a variable (letters, digits, _), optionally with :-default; write $\${ for a literal \${`,
      );
      return match;
    }
    const name = ref[1]!;
    const fallback = ref[2];
    const value = src.lookup(name);
    if (value !== undefined && (value !== '' || fallback === undefined)) {
      src.hide(value, `\${${name}}`);
      return value;
    }
    if (fallback !== undefined) return fallback;
    src.problems.push(`${path}: \${${name}} is not set (set ${name} or ${name}_FILE, or write \${${name}:-default})`);
    return match;
  });
}
