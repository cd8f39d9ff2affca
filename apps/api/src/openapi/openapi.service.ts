import { Injectable, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { ENTITLEMENT_KEY, OPERATOR_KEY, PUBLIC_KEY, SCOPE_KEY } from '../auth/decorators';
import { DOC_KEY, type DocOptions } from './doc.decorator';

interface Operation {
  status: number;
  method: string;
  path: string;
  doc: DocOptions;
  hiddenWithoutEntitlement: string | null;
  operator: boolean;
  isPublic: boolean;
  scope: string | null;
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
  required: ['type', 'title', 'status', 'detail'],
};

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/** A response schema; named ones (`.meta({ id })`) go to components.schemas once and are referenced. */
function responseSchema(schema: z.ZodType, components: Record<string, unknown>): unknown {
  const out = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _s, $defs, ...rest } = JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = def;
  return rest;
}

/**
 * Builds /openapi.json from the routes themselves: every route's `@Doc`
 * names the zod schema that validates it, so the spec cannot drift from the
 * validation.
 */
@Injectable()
export class OpenApiService {
  private operations: Operation[] | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  private collect(): Operation[] {
    if (this.operations) return this.operations;
    const ops: Operation[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, wrapper.metatype) as string | undefined) ?? '';
      const proto = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name] as object;
        const doc = Reflect.getMetadata(DOC_KEY, handler) as DocOptions | undefined;
        if (!doc) continue;
        const sub = (Reflect.getMetadata(PATH_METADATA, handler) as string | undefined) ?? '';
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod].toLowerCase();
        const path = ('/' + [base, sub].filter((s) => s && s !== '/').join('/')).replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
        const targets = [handler as never, wrapper.metatype as never];
        ops.push({
          status: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'post' ? 201 : 200),
          method,
          path,
          doc,
          hiddenWithoutEntitlement: this.reflector.getAllAndOverride<string>(ENTITLEMENT_KEY, targets) ?? null,
          operator: !!this.reflector.getAllAndOverride<boolean>(OPERATOR_KEY, targets),
          isPublic: !!this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets),
          scope: this.reflector.getAllAndOverride<string>(SCOPE_KEY, targets) ?? null,
        });
      }
    }
    this.operations = ops;
    return ops;
  }

  /** The document; `entitled` says which plan features the caller has (null = anonymous: show all). */
  document(entitled: ((feature: string) => boolean) | null, operatorEnabled: boolean) {
    const paths: Record<string, Record<string, unknown>> = {};
    const schemas: Record<string, unknown> = {};
    for (const op of this.collect()) {
      if (op.operator && !operatorEnabled) continue;
      if (op.hiddenWithoutEntitlement && entitled && !entitled(op.hiddenWithoutEntitlement)) continue;
      const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      if (op.doc.query) {
        const qs = jsonSchema(op.doc.query) as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, schema] of Object.entries(qs.properties ?? {})) {
          params.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema: schema as { type: string } });
        }
      }
      paths[op.path] ??= {};
      paths[op.path][op.method] = {
        summary: op.doc.summary,
        tags: [op.doc.tag],
        ...(params.length ? { parameters: params } : {}),
        ...(op.doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.doc.body) } } } } : {}),
        ...(op.isPublic ? { security: [] } : {}),
        ...(op.scope ? { 'x-required-scope': op.scope } : {}),
        responses: {
          [String(op.status)]: op.doc.response
            ? { description: 'Success', content: { 'application/json': { schema: responseSchema(op.doc.response, schemas) } } }
            : { description: 'Success' },
          default: { description: 'Problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Audit Trail API',
        version: '1.0.0',
        description: 'Multi-tenant audit logs: ingest, query, export and forward. Errors are RFC 9457 problem details.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (atk_...)' },
          session: { type: 'apiKey', in: 'cookie', name: 'at_session', description: 'Console session; send X-CSRF-Token on writes' },
        },
        schemas: { ...Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))), Problem: problemSchema },
      },
      security: [{ apiKey: [] }, { session: [] }],
      paths,
    };
  }
}
