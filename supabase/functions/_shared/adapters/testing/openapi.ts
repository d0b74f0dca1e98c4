/**
 * Checks requests and answers against a vendor's OpenAPI 3 document (ajv + ajv-formats): the operation exists
 * for the path and method, every query parameter is declared and valid (type, enum, format), required ones are
 * present, and a JSON answer validates against the operation's documented response. Used by the adapters'
 * OpenAPI contract tests (Bling, Conta Azul).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// deno-lint-ignore no-explicit-any
export type Json = any;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface OpenApiCheckOptions {
  /** Path prefix of the API on the server (e.g. '/Api/v3'), stripped before matching the document's paths. */
  prefix?: string;
  /** Extra named formats the document uses (e.g. Bling's `datetime`). */
  formats?: Record<string, RegExp>;
  /**
   * Accept a query value that fails its schema when it has the shape of the parameter's own example (digits as
   * 9, letters as a): for documents whose examples contradict their declared format.
   */
  exampleShapes?: boolean;
  /**
   * Repair self-contradictions of the document before checking answers (each one accepts both readings):
   * `required` names a schema does not declare are dropped; `writeOnly` properties are not required in answers;
   * an integer/number schema whose `enum` lists numeric strings gets the numbers.
   */
  repairs?: boolean;
}

/** A deep copy of an OpenAPI document with the self-contradictions listed in `OpenApiCheckOptions.repairs` fixed. */
export function repairedDocument(spec: Json): Json {
  const walk = (n: Json): Json => {
    if (Array.isArray(n)) return n.map(walk);
    if (!n || typeof n !== 'object') return n;
    const out: Json = {};
    for (const [k, v] of Object.entries(n)) out[k] = walk(v);
    if (out.properties && Array.isArray(out.required)) {
      out.required = out.required.filter((r: string) => r in out.properties && !out.properties[r]?.writeOnly);
    }
    if ((out.type === 'integer' || out.type === 'number') && Array.isArray(out.enum)) {
      out.enum = out.enum.map((
        e: unknown,
      ) => (typeof e === 'string' && /^-?\d+(\.\d+)?$/.test(e) ? Number(e) : e));
    }
    return out;
  };
  return walk(spec);
}

export interface Operation {
  template: string;
  method: string;
  op: Json;
}

/** Digits → 9, letters → a: the shape of a value. */
const shape = (v: string) => v.replace(/\d/g, '9').replace(/[a-z]/gi, 'a');

export class OpenApiChecker {
  private readonly queryAjv: Ajv;
  private readonly bodyAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly id: string;

  readonly spec: Json;

  constructor(spec: Json, private readonly opts: OpenApiCheckOptions = {}) {
    this.spec = opts.repairs ? repairedDocument(spec) : spec;
    this.id = `spec-${crypto.randomUUID()}.json`;
    this.queryAjv = this.makeAjv(true);
    this.bodyAjv = this.makeAjv(false);
  }

  private makeAjv(coerce: boolean): Ajv {
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      validateSchema: false,
      ...(coerce ? { coerceTypes: 'array' as const } : {}),
    });
    addFormats(ajv);
    for (const [name, re] of Object.entries(this.opts.formats ?? {})) ajv.addFormat(name, re);
    ajv.addSchema(this.spec, this.id);
    return ajv;
  }

  /** A JSON pointer into the document, usable as `$ref`. */
  pointer(...parts: string[]): string {
    return `${this.id}#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  }

  /** Resolves a local `$ref` of the document. */
  deref(node: Json): Json {
    let n = node;
    while (n && typeof n.$ref === 'string') {
      n = n.$ref.slice(2).split('/').reduce(
        (o: Json, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')],
        this.spec,
      );
    }
    return n;
  }

  private compiled(coerce: boolean, key: string, schema: Json): ValidateFunction {
    const k = `${coerce ? 'q' : 'b'}:${key}`;
    let v = this.validators.get(k);
    if (!v) {
      v = (coerce ? this.queryAjv : this.bodyAjv).compile(schema);
      this.validators.set(k, v);
    }
    return v;
  }

  /** Problems of `body` against a JSON schema (which may `$ref` into the document via `pointer`). */
  validate(name: string, schema: Json, body: Json): string[] {
    const v = this.compiled(false, `schema ${JSON.stringify(schema)}`, schema);
    return v(body) ? [] : [`${name}: ${this.bodyAjv.errorsText(v.errors)}`];
  }

  /** The document path of a URL path (prefix stripped). */
  apiPath(pathname: string): string {
    const p = this.opts.prefix ?? '';
    return p && pathname.startsWith(p) ? pathname.slice(p.length) : pathname;
  }

  /** The document's operation for a concrete path (templates like /nfe/{id}; literal segments win). */
  findOperation(method: string, path: string): Operation | null {
    const candidates: Array<{ template: string; literal: number }> = [];
    for (const template of Object.keys(this.spec.paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (re.test(path)) candidates.push({ template, literal: template.replace(/\{[^}]+\}/g, '').length });
    }
    candidates.sort((a, b) => b.literal - a.literal);
    for (const c of candidates) {
      const op = this.spec.paths[c.template][method.toLowerCase()];
      if (op) return { template: c.template, method: method.toLowerCase(), op };
    }
    return null;
  }

  /** Problems of one request (empty when it is a documented operation with valid query parameters). */
  requestProblems(method: string, url: URL): string[] {
    const path = this.apiPath(url.pathname);
    const found = this.findOperation(method, path);
    if (!found) return [`${method} ${path}: no such operation`];
    const params = new Map<string, Json>();
    for (const p of [...(this.spec.paths[found.template].parameters ?? []), ...(found.op.parameters ?? [])]) {
      const d = this.deref(p);
      params.set(`${d.in}:${d.name}`, d);
    }
    const problems: string[] = [];
    const names = new Set(url.searchParams.keys());
    for (const name of names) {
      const p = params.get(`query:${name}`);
      if (!p) {
        problems.push(`${found.template}: query parameter ${name} is not in the document`);
        continue;
      }
      const values = url.searchParams.getAll(name);
      const value = p.schema?.type === 'array' ? values : values[0];
      const v = this.compiled(true, `${found.template} ${name}`, {
        type: 'object',
        properties: { v: p.schema ?? {} },
      });
      const ok = v({ v: value }) ||
        (!!this.opts.exampleShapes && typeof value === 'string' && p.schema?.example !== undefined &&
          shape(value) === shape(String(p.schema.example)));
      if (!ok) {
        problems.push(`${found.template}: ${name}=${values.join(',')} ${this.queryAjv.errorsText(v.errors)}`);
      }
    }
    for (const [key, p] of params) {
      if (p.required && key.startsWith('query:') && !names.has(p.name)) {
        problems.push(`${found.template}: required query parameter ${p.name} missing`);
      }
    }
    return problems;
  }

  /**
   * Problems of one JSON answer against the operation's documented response for its status. `errorSchema`
   * (a JSON schema, may `$ref` into the document via `pointer`) checks error answers the operation does not
   * document itself.
   */
  responseProblems(method: string, url: URL, status: number, body: Json, errorSchema?: Json): string[] {
    const path = this.apiPath(url.pathname);
    const found = this.findOperation(method, path);
    if (!found) return [];
    const response = this.deref(found.op.responses?.[String(status)]);
    const content = response?.content ?? {};
    const media = Object.keys(content).find((m) => m.includes('json'));
    if (!media || !content[media].schema) {
      if (status >= 400 && errorSchema) {
        const v = this.compiled(false, `error ${JSON.stringify(errorSchema)}`, errorSchema);
        return v(body) ? [] : [`${found.template} ${status}: ${this.bodyAjv.errorsText(v.errors)}`];
      }
      return status < 400 ? [`${found.template}: status ${status} is not documented as JSON`] : [];
    }
    const raw = found.op.responses?.[String(status)];
    const base = typeof raw?.$ref === 'string'
      ? `${this.id}${raw.$ref}`
      : this.pointer('paths', found.template, found.method, 'responses', String(status));
    const v = this.compiled(false, `${found.template} ${found.method} ${status} ${media}`, {
      $ref: `${base}/content/${media.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`,
    });
    return v(body) ? [] : [`${found.template} ${status}: ${this.bodyAjv.errorsText(v.errors)}`];
  }
}
