/** A camelCase method per op (groupInfo, createInvite, …) for Connection and Session. */
import type { Empty } from "./types.js";
import { opNames, type OpArgs, type OpName, type OpResult } from "./ops.js";

type Camel<S extends string> = S extends `${infer H}_${infer R}` ? `${H}${Capitalize<Camel<R>>}` : S;

type ArgList<K extends OpName> = OpArgs<K> extends Empty ? [args?: Empty] : [args: OpArgs<K>];

/** One typed method per operation, named after the op in camelCase: `group_info` → `groupInfo`. */
export type OpMethods = {
  [K in OpName as Camel<K>]: (...args: ArgList<K>) => Promise<OpResult<K>>;
};

export function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Installs the op methods on a prototype whose instances have call(name, args). */
export function installOpMethods(proto: { call(name: OpName, args: object): Promise<unknown> }, skip: string[] = []): void {
  for (const name of opNames) {
    const m = camel(name);
    if (skip.includes(m)) continue;
    Object.defineProperty(proto, m, {
      value: function (this: typeof proto, args?: object) {
        return this.call(name, args ?? {});
      },
      writable: true,
      configurable: true,
    });
  }
}
