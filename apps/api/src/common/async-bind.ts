import { AsyncResource } from 'node:async_hooks';

/**
 * Node 20's `AsyncResource#bind` gives every bound function a deprecated
 * `asyncResource` accessor (DEP0172) built from two fresh `util.deprecate`
 * wrappers. Fastify binds one callback per request body, and in a CPU profile
 * of single-event ingest (`PROFILE_MODE=single npm run profile:ingest`) those
 * wrappers took about 5 % of the api's time. This binds the same way (the
 * function runs in the resource's async context, with the caller's `this`
 * or the given one, and keeps its `length`) without the deprecated accessor,
 * which nothing we load reads. It changes nothing on a Node whose `bind` does
 * not build the accessor.
 */
export function installLeanAsyncBind(): boolean {
  const proto = AsyncResource.prototype as unknown as { bind: (this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown) => unknown };
  if (!/\bdeprecate\(/.test(Function.prototype.toString.call(proto.bind))) return false;
  const original = proto.bind;
  proto.bind = function bind(this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown) {
    // Node's own checks and errors for anything that is not a function.
    if (typeof fn !== 'function') return original.call(this, fn, thisArg);
    const run = this.runInAsyncScope.bind(this);
    const bound =
      thisArg === undefined
        ? function (this: unknown, ...args: unknown[]) {
            return run(fn, this, ...args);
          }
        : run.bind(undefined, fn, thisArg);
    Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
    return bound;
  };
  return true;
}

installLeanAsyncBind();
