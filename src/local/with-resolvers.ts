/**
 * `Promise.withResolvers` (ES2024, Node 22) for Node 20, where `aws-local-stepfunctions` 3.0.0 needs it to run
 * a Task state with a timeout (TOOLCHAIN.md). Imported before that package, locally only; where the runtime
 * has its own, nothing is changed. Lambda runs Node 22 and never loads this.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
