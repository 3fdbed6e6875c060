// Explicit memory management, tfjs-style. JavaScript has no destructors that run inside a synchronous
// loop, so every tensor is owned by the innermost open scope and freed when that scope closes:
//
//   const loss = tidy(() => model.forward(x).sub(y).square().mean());   // intermediates freed, loss kept
//
// tidy() keeps whatever fn returns (tensors inside arrays, plain objects and Maps too) and hands it to
// the enclosing scope. keep(t) takes a tensor out of scope management (parameters, optimizer state):
// it then lives until t.dispose().

/** What a scope needs to know about a tensor. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** set while the tensor is owned by a scope; cleared by keep() */
  scope: Disposable[] | null;
}

const stack: Disposable[][] = [];

/** Called by every new tensor: the innermost open scope takes ownership. */
export function track<T extends Disposable>(t: T): T {
  const top = stack[stack.length - 1];
  if (top) {
    top.push(t);
    t.scope = top;
  }
  return t;
}

/** Takes a tensor out of scope management: no tidy() will dispose it. */
export function keep<T extends Disposable>(t: T): T {
  t.scope = null;
  return t;
}

/** Runs fn in a new scope; disposes every tensor created inside except those it returns. */
export function tidy<T>(fn: () => T): T {
  const scope: Disposable[] = [];
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    release(scope, new Set());
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    release(scope, new Set());
    throw new Error('tidy(fn): fn returned a Promise; tidy only works with synchronous functions');
  }
  const returned = new Set<Disposable>();
  collect(result, returned, 0);
  release(scope, returned);
  // Returned tensors now belong to the enclosing scope.
  const parent = stack[stack.length - 1];
  for (const t of returned) {
    if (t.scope === scope) {
      t.scope = parent ?? null;
      parent?.push(t);
    }
  }
  return result;
}

function release(scope: Disposable[], spare: Set<Disposable>): void {
  for (const t of scope) {
    if (t.scope === scope && !spare.has(t) && !t.isDisposed) t.dispose();
  }
}

function collect(v: unknown, out: Set<Disposable>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 8) return;
  if (isDisposable(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collect(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, depth + 1);
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'scope' in v && 'isDisposed' in v;
}

/** Disposes tensors found in a value (a tensor, or arrays / objects / Maps of them). */
export function dispose(v: unknown): void {
  const found = new Set<Disposable>();
  collect(v, found, 0);
  for (const t of found) if (!t.isDisposed) t.dispose();
}

/** Number of open scopes (for tests). */
export function scopeDepth(): number {
  return stack.length;
}
