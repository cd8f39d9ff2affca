import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncBind } from './async-bind';

describe('lean AsyncResource#bind', () => {
  const store = new AsyncLocalStorage<string>();

  it('is in place, once, without the deprecated accessor', () => {
    expect(Function.prototype.toString.call(Reflect.get(AsyncResource.prototype, 'bind'))).not.toMatch(/\bdeprecate\(/);
    expect(installLeanAsyncBind()).toBe(false);
    const bound = new AsyncResource('t').bind(() => 1);
    expect(Object.getOwnPropertyDescriptor(bound, 'asyncResource')).toBeUndefined();
  });

  it("runs the function in the resource's async context, wherever it is called from", async () => {
    const bound = store.run('request A', () => new AsyncResource('t').bind((x: number) => `${store.getStore()} ${x}`));
    const staticBound = store.run('request B', () => AsyncResource.bind(() => store.getStore()));
    expect(store.getStore()).toBeUndefined();
    expect(bound(1)).toBe('request A 1');
    expect(await store.run('request C', () => Promise.resolve().then(() => [bound(2), staticBound()]))).toEqual(['request A 2', 'request B']);
  });

  it('keeps `this` (the caller’s, or the one given), arguments, return values, throws and length', () => {
    const r = new AsyncResource('t');
    // Node's types know only bind(fn); the runtime takes a thisArg too.
    const bindWith = ((fn: unknown, thisArg?: unknown) => Reflect.apply(Reflect.get(r, 'bind'), r, [fn, thisArg])) as <F>(fn: F, thisArg?: unknown) => F;
    function named(this: { n: number } | undefined, a: number, b: number) {
      return (this?.n ?? 0) + a + b;
    }
    const free = bindWith(named);
    const fixed = bindWith(named, { n: 100 });
    const holder = { n: 10, free };
    expect(holder.free(1, 2)).toBe(13);
    expect(fixed.call(undefined, 1, 2)).toBe(103);
    expect(free.length).toBe(2);
    expect(fixed.length).toBe(2);
    expect(() =>
      r.bind(() => {
        throw new Error('inside');
      })(),
    ).toThrow('inside');
    expect(() => r.bind('not a function' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
