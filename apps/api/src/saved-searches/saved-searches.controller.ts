import { Body, Controller, Delete, Get, HttpCode, Injectable, Module, Param, Post } from '@nestjs/common';
import { eventFilterShape, newId } from '@audit-trail/audit-core';
import { Database, savedSearches, type SavedSearchRow } from '@audit-trail/data';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement } from '../auth/decorators';
import { AppError, ErrorCode, forbidden, notFound } from '../common/errors';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';

/** The Audit Log's filters a saved search may carry (the same names as GET /v1/events). */
const FILTER_KEYS = new Set(Object.keys(eventFilterShape));
/** How many saved searches one person keeps in one account. */
export const MAX_SAVED_SEARCHES = 100;

export const savedSearchSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100),
  /** The Audit Log's query string, e.g. `category=auth&outcome=failure`. */
  query: z
    .string()
    .max(2000)
    .superRefine((q, ctx) => {
      for (const [key, value] of new URLSearchParams(q)) {
        if (!FILTER_KEYS.has(key)) ctx.addIssue({ code: 'custom', message: `\`${key}\` is not a filter of the Audit Log` });
        else if (value.length > 500) ctx.addIssue({ code: 'custom', message: `\`${key}\` is longer than 500 characters` });
      }
    }),
});

const view = (r: SavedSearchRow) => ({ id: r.id, name: r.name, query: r.query, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() });

/** A person's own saved searches: only the person who saved one sees it, lists it or deletes it. */
@Injectable()
export class SavedSearchesService {
  constructor(private readonly db: Database) {}

  private person(p: Principal): string {
    if (p.kind !== 'session' || !p.userId) throw forbidden('Saved searches belong to a person; sign in to the console to use them.');
    return p.userId;
  }

  async list(p: Principal) {
    const userId = this.person(p);
    const rows = await this.db.tenant(p.accountId, (c) => savedSearches.list(c, userId), { readOnly: true });
    return { data: rows.map(view), next_cursor: null };
  }

  /** Saves under a name; saving again under the same name replaces that search. */
  async save(p: Principal, input: z.output<typeof savedSearchSchema>) {
    const userId = this.person(p);
    const row = await this.db.tenant(p.accountId, (c) => savedSearches.save(c, { accountId: p.accountId, id: newId(), userId, name: input.name, query: input.query }, MAX_SAVED_SEARCHES));
    if (!row) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'name', message: `you already keep ${MAX_SAVED_SEARCHES} saved searches; delete one first` }]);
    return view(row);
  }

  async remove(p: Principal, id: string) {
    const userId = this.person(p);
    if (!(await this.db.tenant(p.accountId, (c) => savedSearches.remove(c, userId, id)))) throw notFound('Saved search');
  }
}

/** Saved searches for the Audit Log; hidden with the rest of the log when unlicensed. */
@Controller('v1/saved-searches')
@RequiresEntitlement('audit_log')
export class SavedSearchesController {
  constructor(private readonly searches: SavedSearchesService) {}

  @Get()
  @Doc({ summary: 'Your saved searches for the Audit Log, by name (signed-in people only)', tag: 'Events' })
  list(@CurrentPrincipal() p: Principal) {
    return this.searches.list(p);
  }

  @Post()
  @HttpCode(201)
  @Doc({ summary: 'Save the Audit Log’s filters under a name; the same name replaces that search', body: savedSearchSchema, tag: 'Events' })
  save(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.searches.save(p, parseBody(savedSearchSchema, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc({ summary: 'Delete one of your saved searches', tag: 'Events' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    await this.searches.remove(p, id);
  }
}

@Module({ controllers: [SavedSearchesController], providers: [SavedSearchesService] })
export class SavedSearchesModule {}
