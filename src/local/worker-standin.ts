/**
 * A stand-in for the Azure Functions Node.js worker, enough to load the built app and invoke its
 * functions the way the worker does: it provides `@azure/functions-core` to `require` only (the
 * worker patches `Module.prototype.require` the same way), captures what the app registers, and
 * invokes a callback through the app's programming model (getInvocationModel → getArguments →
 * invokeFunction → getResponse). Used by `demo`, `watch` and the tests; the host is not installable here.
 */
import { randomUUID } from 'node:crypto';
import Module, { createRequire } from 'node:module';

type Callback = (...args: unknown[]) => unknown;
export interface BindingInfo {
  type?: string;
  direction?: string;
  [key: string]: unknown;
}
export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
  [key: string]: unknown;
}
export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: Callback;
}
export interface CapturedLog {
  level: string;
  category: string;
  message: string;
  functionName?: string;
  invocationId?: string;
}
/** The parts of `@azure/functions-core`'s InvocationModel the worker calls. */
interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: Callback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<unknown>;
}
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: object): InvocationModel;
}
/** Timer payload as the host sends it (PascalCase; the library camel-cases it). */
export interface HostTimer {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

export interface FunctionsApp {
  readonly programmingModel: ProgrammingModel | undefined;
  readonly functions: ReadonlyMap<string, RegisteredFunction>;
  readonly hooks: ReadonlyMap<string, readonly Callback[]>;
  readonly logs: CapturedLog[];
  /** Invokes a function with raw RPC input data (binding name → typed data). */
  invoke(name: string, inputData: { name: string; data: Record<string, unknown> }[]): Promise<unknown>;
  /** Invokes a timer function with a payload shaped as the host sends it. */
  invokeTimer(name: string, timer?: Partial<HostTimer>): Promise<unknown>;
  /** Runs the appTerminate hooks, as the worker does when the host shuts it down. */
  terminate(): Promise<void>;
}

export const CORE_MODULE = '@azure/functions-core';

/** Loads `mainFile` as a fresh worker would (its own module instance) and runs the appStart hooks. */
export async function loadFunctionsApp(
  mainFile: string,
  options: { onLog?: (log: CapturedLog) => void } = {},
): Promise<FunctionsApp> {
  const functions = new Map<string, RegisteredFunction>();
  const hooks = new Map<string, Callback[]>();
  const logs: CapturedLog[] = [];
  let programmingModel: ProgrammingModel | undefined;
  const record = (log: CapturedLog): void => {
    logs.push(log);
    options.onLog?.(log);
  };
  const disposable = (dispose: () => void): { dispose: () => void } => ({ dispose });

  const core = {
    version: 'stand-in',
    hostVersion: '4.1000.0',
    setProgrammingModel: (model: ProgrammingModel) => (programmingModel = model),
    getProgrammingModel: () => programmingModel,
    registerFunction(metadata: FunctionMetadata, callback: Callback) {
      if (functions.has(metadata.name)) throw new Error(`A function named "${metadata.name}" is already registered`);
      functions.set(metadata.name, { metadata, callback });
      return disposable(() => functions.delete(metadata.name));
    },
    registerHook(hookName: string, callback: Callback) {
      const list = hooks.get(hookName) ?? [];
      list.push(callback);
      hooks.set(hookName, list);
      return disposable(() => list.splice(list.indexOf(callback), 1));
    },
    log: (level: string, category: string, message: string) => record({ level, category, message }),
  };

  requireWithCore(mainFile, core);
  for (const hook of hooks.get('appStart') ?? []) await hook({ hookData: {}, functionAppDirectory: process.cwd() });

  const appHookData: Record<string, unknown> = {};
  async function invoke(name: string, inputData: { name: string; data: Record<string, unknown> }[]): Promise<unknown> {
    const fn = functions.get(name);
    if (!fn) throw new Error(`No function named "${name}" is registered (have: ${[...functions.keys()].join(', ')})`);
    if (!programmingModel) throw new Error('The app never called setProgrammingModel');
    const invocationId = randomUUID();
    const coreCtx = {
      invocationId,
      request: { invocationId, functionId: name, inputData, triggerMetadata: {} },
      metadata: fn.metadata,
      state: 'preInvocationHooks' as string,
      log: (level: string, category: string, message: string) =>
        record({ level, category, message, functionName: name, invocationId }),
    };
    const model = programmingModel.getInvocationModel(coreCtx);
    const { context, inputs } = await model.getArguments();
    const hookData: Record<string, unknown> = {};
    for (const hook of hooks.get('preInvocation') ?? []) {
      await hook({ invocationContext: context, inputs, functionCallback: fn.callback, hookData, appHookData });
    }
    coreCtx.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await model.invokeFunction(context, inputs, fn.callback);
    } catch (e) {
      error = e;
    }
    coreCtx.state = 'postInvocationHooks';
    for (const hook of hooks.get('postInvocation') ?? []) {
      await hook({ invocationContext: context, inputs, result, error, hookData, appHookData });
    }
    coreCtx.state = 'done';
    if (error !== undefined) throw error;
    await model.getResponse(context, result);
    return result;
  }

  return {
    get programmingModel() {
      return programmingModel;
    },
    functions,
    hooks,
    logs,
    invoke,
    async invokeTimer(name, timer = {}) {
      const trigger = Object.entries(functions.get(name)?.metadata.bindings ?? {}).find(
        ([, b]) => b.type === 'timerTrigger',
      );
      if (!trigger) throw new Error(`"${name}" has no timerTrigger binding`);
      const now = new Date();
      const payload: HostTimer = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: {
          Last: now.toISOString(),
          Next: new Date(now.getTime() + 20_000).toISOString(),
          LastUpdated: now.toISOString(),
        },
        IsPastDue: false,
        ...timer,
      };
      return invoke(name, [{ name: trigger[0], data: { json: JSON.stringify(payload) } }]);
    },
    async terminate() {
      for (const hook of hooks.get('appTerminate') ?? []) await hook({ hookData: {}, appHookData });
    },
  };
}

/** Requires `file` afresh while `require('@azure/functions-core')` returns `core`. */
function requireWithCore(file: string, core: object): void {
  const load = createRequire(file);
  // Module.prototype.require is untyped for this use; the worker overrides it exactly like this.
  const proto = Module.prototype as unknown as { require: (this: unknown, id: string) => unknown };
  const original = proto.require;
  proto.require = function patched(this: unknown, id: string): unknown {
    return id === CORE_MODULE ? core : original.call(this, id);
  };
  const resolved = load.resolve(file);
  try {
    delete load.cache[resolved];
    load(resolved);
  } finally {
    proto.require = original;
    // The next load is another worker: its own module instance, its own state.
    delete load.cache[resolved];
  }
}
