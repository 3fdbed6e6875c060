// Shared pieces of the addon: the tensor handle table, argument readers and the error wrapper.
//
// JS never holds an at::Tensor directly. Each tensor lives in a slot of a handle table and JS holds the
// slot number. JS frees slots explicitly (Tensor.dispose / tidy scopes), because N-API finalizers do not
// run inside a synchronous training loop. A freed slot is reused; using it afterwards is a clear error.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dr {

// ---- handle table ------------------------------------------------------------------------------
int64_t Put(at::Tensor t);
const at::Tensor& Get(int64_t h);
void Free(int64_t h);
int64_t LiveCount();

// ---- dtype and device codes (must match src/engine/dtype.ts) --------------------------------------
// 0 float32, 1 float64, 2 bfloat16, 3 float16, 4 int64, 5 int32, 6 bool, 7 uint8
at::ScalarType DTypeFromCode(int64_t code);
int64_t DTypeToCode(at::ScalarType t);
at::Device DeviceFromString(const std::string& s);
std::string DeviceToString(const at::Device& d);

// ---- argument readers -------------------------------------------------------------------------------
inline const at::Tensor& ArgT(const Napi::CallbackInfo& info, size_t i) {
  return Get(info[i].As<Napi::Number>().Int64Value());
}
inline int64_t ArgI(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline double ArgD(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline bool ArgB(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Boolean>().Value(); }
inline std::string ArgS(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
inline bool Has(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull();
}
std::vector<int64_t> ArgIList(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> ArgTList(const Napi::CallbackInfo& info, size_t i);
at::Scalar ArgScalar(const Napi::CallbackInfo& info, size_t i);

inline Napi::Value Ret(const Napi::CallbackInfo& info, at::Tensor t) {
  return Napi::Number::New(info.Env(), static_cast<double>(Put(std::move(t))));
}
Napi::Value RetList(const Napi::CallbackInfo& info, const std::vector<at::Tensor>& ts);

// Runs `body`, turning every C++ exception (c10::Error above all) into a JS Error with torch's message.
template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Registration: each source file adds its functions to the exports object.
void RegisterTensor(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptim(Napi::Env env, Napi::Object exports);
void RegisterDist(Napi::Env env, Napi::Object exports);
void InstallCachingAllocator();
Napi::Value AllocatorStats(const Napi::CallbackInfo& info);

}  // namespace dr

// Defines an exported function `name` whose body runs inside Guard.
// (The C++ names get a js_ prefix so that `exp`, `log`... do not collide with the C library.)
#define DR_FN(name) \
  static Napi::Value js_##name##_impl(const Napi::CallbackInfo& info); \
  static Napi::Value js_##name(const Napi::CallbackInfo& info) { return ::dr::Guard(info, [&] { return js_##name##_impl(info); }); } \
  static Napi::Value js_##name##_impl(const Napi::CallbackInfo& info)

#define DR_EXPORT(name) exports.Set(#name, Napi::Function::New(env, js_##name, #name))
