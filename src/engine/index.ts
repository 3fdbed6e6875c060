// The engine's public API: tensors over libtorch, scopes, autograd helpers, modules and safetensors.
export * from './dtype.js';
export { engineAvailable, setThreads, threadInfo, threadSettings, HOW_TO_GET_LIBTORCH } from './native.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export { Tensor, type Reduction, type Scalar } from './tensor.js';
export * from './ops.js';
export * from './autograd.js';
export * from './module.js';
export * from './safetensors.js';
export { NativeAdamW, type NativeAdamWGroup, type NativeAdamWParamState } from './optim.js';
export {
  ProcessGroup,
  distributedAvailable,
  torchrunEnv,
  distTimeoutMs,
  DEFAULT_DIST_TIMEOUT_MS,
  type ProcessGroupOptions,
  type ReduceOp,
  type TorchrunEnv,
} from './distributed.js';
