#!/usr/bin/env node
// The benchmark's second HTTP baseline: the api's own framework stack
// (NestJS on Fastify, one controller, one global guard that reads the route's
// metadata) with a route that parses the body and answers 202 with an id, and
// nothing else: no key lookup, no validation, no database. Next to the bare
// Fastify route it shows what the framework costs and what our path costs.
import 'reflect-metadata';
import { Controller, HttpCode, Injectable, Module, Post, Req, SetMetadata } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';

const SCOPE = 'scope';

class Guard {
  constructor(reflector) {
    this.reflector = reflector;
  }
  canActivate(ctx) {
    const scope = this.reflector.getAllAndOverride(SCOPE, [ctx.getHandler(), ctx.getClass()]);
    return typeof ctx.switchToHttp().getRequest().headers.authorization === 'string' && scope === 'events:write';
  }
}
Injectable()(Guard);
Reflect.defineMetadata('design:paramtypes', [Reflector], Guard);

class Events {
  ingest(req) {
    if (typeof req.body !== 'object' || req.body === null) return { error: 'not JSON' };
    return { ids: [randomUUID()] };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(Events.prototype, 'ingest');
for (const d of [Post('events'), HttpCode(202), SetMetadata(SCOPE, 'events:write')]) d(Events.prototype, 'ingest', descriptor);
Req()(Events.prototype, 'ingest', 0);
Controller('v1')(Events);

class App {}
Module({ controllers: [Events], providers: [{ provide: APP_GUARD, useClass: Guard }] })(App);

const app = await NestFactory.create(App, new FastifyAdapter({ logger: false }), { logger: false });
await app.listen(Number(process.env.PORT ?? 3498), '127.0.0.1');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
