// Module entry: installs the caching allocator, sets threads, registers every function.
#include "common.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <cstdlib>
#include <dlfcn.h>

namespace {

// OpenBLAS reads OPENBLAS_NUM_THREADS when it loads (the TypeScript loader sets it before loading us);
// also set it through the API in case the library was already loaded by someone else.
void SetBlasThreads(int n) {
  using SetFn = void (*)(int);
  if (auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

Napi::Value SetBlasThreadsJs(const Napi::CallbackInfo& info) {
  SetBlasThreads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  o.Set("cxx11Abi", Napi::Number::New(env, _GLIBCXX_USE_CXX11_ABI));
#ifdef DR_WITH_CUDA
  o.Set("cudaBuild", Napi::Boolean::New(env, true));
#else
  o.Set("cudaBuild", Napi::Boolean::New(env, false));
#endif
#ifdef DR_WITH_GLOO
  o.Set("distributed", Napi::Boolean::New(env, true));
#else
  o.Set("distributed", Napi::Boolean::New(env, false));
#endif
  o.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dr::InstallCachingAllocator();
  dr::RegisterTensor(env, exports);
  dr::RegisterOps(env, exports);
  dr::RegisterOptim(env, exports);
  dr::RegisterDist(env, exports);
  exports.Set("allocatorStats", Napi::Function::New(env, dr::AllocatorStats, "allocatorStats"));
  exports.Set("setBlasThreads", Napi::Function::New(env, SetBlasThreadsJs, "setBlasThreads"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(disranker, Init)
