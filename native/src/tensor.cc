// Tensor lifetime and data movement: the handle table, creation from / copy to JS buffers,
// metadata, autograd entry points, grad mode, seeding, threads and devices.
#include "common.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace dr {

// ---- handle table ------------------------------------------------------------------------------------
static std::vector<at::Tensor> g_slots;
static std::vector<int64_t> g_free;
static int64_t g_live = 0;

int64_t Put(at::Tensor t) {
  int64_t h;
  if (!g_free.empty()) {
    h = g_free.back();
    g_free.pop_back();
    g_slots[h] = std::move(t);
  } else {
    h = static_cast<int64_t>(g_slots.size());
    g_slots.push_back(std::move(t));
  }
  ++g_live;
  return h;
}

const at::Tensor& Get(int64_t h) {
  if (h < 0 || h >= static_cast<int64_t>(g_slots.size()) || !g_slots[h].defined()) {
    throw std::runtime_error("tensor handle " + std::to_string(h) + " is disposed or invalid");
  }
  return g_slots[h];
}

void Free(int64_t h) {
  if (h < 0 || h >= static_cast<int64_t>(g_slots.size()) || !g_slots[h].defined()) return;
  g_slots[h] = at::Tensor();
  g_free.push_back(h);
  --g_live;
}

int64_t LiveCount() { return g_live; }

// ---- dtypes and devices --------------------------------------------------------------------------------
at::ScalarType DTypeFromCode(int64_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kBFloat16;
    case 3: return at::kHalf;
    case 4: return at::kLong;
    case 5: return at::kInt;
    case 6: return at::kBool;
    case 7: return at::kByte;
  }
  throw std::runtime_error("unknown dtype code " + std::to_string(code));
}

int64_t DTypeToCode(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kBFloat16: return 2;
    case at::kHalf: return 3;
    case at::kLong: return 4;
    case at::kInt: return 5;
    case at::kBool: return 6;
    case at::kByte: return 7;
    default: break;
  }
  throw std::runtime_error(std::string("unsupported dtype ") + c10::toString(t));
}

at::Device DeviceFromString(const std::string& s) { return at::Device(s); }
std::string DeviceToString(const at::Device& d) { return d.str(); }

// ---- argument readers ------------------------------------------------------------------------------------
std::vector<int64_t> ArgIList(const Napi::CallbackInfo& info, size_t i) {
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

std::vector<at::Tensor> ArgTList(const Napi::CallbackInfo& info, size_t i) {
  auto arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(Get(arr.Get(k).As<Napi::Number>().Int64Value()));
  return out;
}

at::Scalar ArgScalar(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  // An integral JS number is an integer scalar, as in Python (int_tensor * 0 stays int64).
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 9.007199254740992e15) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

Napi::Value RetList(const Napi::CallbackInfo& info, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(info.Env(), ts.size());
  for (size_t k = 0; k < ts.size(); ++k) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(Put(ts[k]))));
  return arr;
}

}  // namespace dr

using namespace dr;

// ---- creation and readback --------------------------------------------------------------------------------

// fromBuffer(typedArray, shape, dtypeCode, device?) -> handle. Copies the bytes.
DR_FN(fromBuffer) {
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = ArgIList(info, 1);
  auto dtype = DTypeFromCode(ArgI(info, 2));
  auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t nbytes = t.numel() * t.element_size();
  if (ta.ByteLength() != nbytes) {
    throw std::runtime_error("buffer has " + std::to_string(ta.ByteLength()) + " bytes but shape " + c10::str(t.sizes()) +
                             " of " + c10::toString(dtype) + " needs " + std::to_string(nbytes));
  }
  auto ab = ta.ArrayBuffer();
  if (nbytes) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), nbytes);
  if (Has(info, 3)) {
    auto dev = DeviceFromString(ArgS(info, 3));
    if (dev != t.device()) t = t.to(dev);
  }
  return Ret(info, t);
}

// toBuffer(h) -> ArrayBuffer with the contiguous CPU bytes.
DR_FN(toBuffer) {
  auto t = ArgT(info, 0).detach();
  if (!t.device().is_cpu()) t = t.cpu();
  t = t.contiguous();
  size_t nbytes = t.numel() * t.element_size();
  auto ab = Napi::ArrayBuffer::New(info.Env(), nbytes);
  if (nbytes) std::memcpy(ab.Data(), t.data_ptr(), nbytes);
  return ab;
}

DR_FN(item) {
  const auto& t = ArgT(info, 0);
  if (t.numel() != 1) throw std::runtime_error("item() needs a tensor with one element, got shape " + c10::str(t.sizes()));
  return Napi::Number::New(info.Env(), t.item<double>());
}

DR_FN(dispose) {
  Free(ArgI(info, 0));
  return info.Env().Undefined();
}

DR_FN(disposeMany) {
  auto arr = info[0].As<Napi::Array>();
  for (uint32_t k = 0; k < arr.Length(); ++k) Free(arr.Get(k).As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

DR_FN(liveCount) { return Napi::Number::New(info.Env(), static_cast<double>(LiveCount())); }

DR_FN(shape) {
  const auto& t = ArgT(info, 0);
  auto arr = Napi::Array::New(info.Env(), t.dim());
  for (int64_t k = 0; k < t.dim(); ++k) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(t.size(k))));
  return arr;
}

DR_FN(dtype) { return Napi::Number::New(info.Env(), static_cast<double>(DTypeToCode(ArgT(info, 0).scalar_type()))); }
DR_FN(device) { return Napi::String::New(info.Env(), DeviceToString(ArgT(info, 0).device())); }
DR_FN(isDisposed) {
  int64_t h = ArgI(info, 0);
  try {
    Get(h);
    return Napi::Boolean::New(info.Env(), false);
  } catch (const std::exception&) {
    return Napi::Boolean::New(info.Env(), true);
  }
}

// ---- autograd -------------------------------------------------------------------------------------------------
DR_FN(requiresGrad) { return Napi::Boolean::New(info.Env(), ArgT(info, 0).requires_grad()); }
DR_FN(setRequiresGrad) {
  auto t = ArgT(info, 0);
  t.set_requires_grad(ArgB(info, 1));
  return info.Env().Undefined();
}
DR_FN(isLeaf) { return Napi::Boolean::New(info.Env(), ArgT(info, 0).is_leaf()); }

// backward(h, gradH | null, retainGraph)
DR_FN(backward) {
  const auto& t = ArgT(info, 0);
  at::Tensor g;
  if (Has(info, 1)) g = Get(ArgI(info, 1));
  bool retain = Has(info, 2) && ArgB(info, 2);
  t.backward(g, retain);
  return info.Env().Undefined();
}

// grad(h) -> handle of the accumulated gradient (shares storage), or null.
DR_FN(grad) {
  const auto& g = ArgT(info, 0).grad();
  if (!g.defined()) return info.Env().Null();
  return Ret(info, g);
}

DR_FN(zeroGrad) {
  for (auto& t : ArgTList(info, 0)) {
    auto tt = t;
    tt.mutable_grad().reset();
  }
  return info.Env().Undefined();
}

DR_FN(setGradEnabled) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(ArgB(info, 0));
  return Napi::Boolean::New(info.Env(), prev);
}
DR_FN(isGradEnabled) { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); }

// clipGradNorm(params[], maxNorm) -> total norm before clipping (torch.nn.utils.clip_grad_norm_, L2).
DR_FN(clipGradNorm) {
  auto params = ArgTList(info, 0);
  double maxNorm = ArgD(info, 1);
  c10::AutoGradMode noGrad(false);
  std::vector<at::Tensor> norms;
  for (auto& p : params)
    if (p.grad().defined()) norms.push_back(at::linalg_vector_norm(p.grad().detach(), 2, c10::nullopt, false, at::kFloat));
  double total = 0;
  if (!norms.empty()) {
    auto totalT = at::linalg_vector_norm(at::stack(norms), 2);
    total = totalT.item<double>();
    double coef = maxNorm / (total + 1e-6);
    if (coef < 1.0)
      for (auto& p : params)
        if (p.grad().defined()) p.mutable_grad().mul_(coef);
  }
  return Napi::Number::New(info.Env(), total);
}

// ---- in-place data movement (no autograd) -------------------------------------------------------------------------
DR_FN(copyInto) {  // copyInto(dst, src): dst.copy_(src) without recording
  c10::AutoGradMode g(false);
  auto dst = ArgT(info, 0);
  dst.copy_(ArgT(info, 1));
  return info.Env().Undefined();
}

// ---- global state ---------------------------------------------------------------------------------------------------
DR_FN(manualSeed) {
  at::manual_seed(static_cast<uint64_t>(ArgD(info, 0)));
  return info.Env().Undefined();
}
DR_FN(setNumThreads) {
  at::set_num_threads(static_cast<int>(ArgI(info, 0)));
  return info.Env().Undefined();
}
DR_FN(getNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
DR_FN(cudaAvailable) { return Napi::Boolean::New(info.Env(), at::hasCUDA()); }
DR_FN(cudaDeviceCount) {
  int n = 0;
#ifdef DR_WITH_CUDA
  if (at::hasCUDA()) n = static_cast<int>(at::detail::getCUDAHooks().getNumGPUs());
#endif
  return Napi::Number::New(info.Env(), n);
}
DR_FN(cudaSynchronize) {
#ifdef DR_WITH_CUDA
  if (at::hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(at::detail::getCUDAHooks().current_device());
#endif
  return info.Env().Undefined();
}

namespace dr {
void RegisterTensor(Napi::Env env, Napi::Object exports) {
  DR_EXPORT(fromBuffer);
  DR_EXPORT(toBuffer);
  DR_EXPORT(item);
  DR_EXPORT(dispose);
  DR_EXPORT(disposeMany);
  DR_EXPORT(liveCount);
  DR_EXPORT(shape);
  DR_EXPORT(dtype);
  DR_EXPORT(device);
  DR_EXPORT(isDisposed);
  DR_EXPORT(requiresGrad);
  DR_EXPORT(setRequiresGrad);
  DR_EXPORT(isLeaf);
  DR_EXPORT(backward);
  DR_EXPORT(grad);
  DR_EXPORT(zeroGrad);
  DR_EXPORT(setGradEnabled);
  DR_EXPORT(isGradEnabled);
  DR_EXPORT(clipGradNorm);
  DR_EXPORT(copyInto);
  DR_EXPORT(manualSeed);
  DR_EXPORT(setNumThreads);
  DR_EXPORT(getNumThreads);
  DR_EXPORT(cudaAvailable);
  DR_EXPORT(cudaDeviceCount);
  DR_EXPORT(cudaSynchronize);
}
}  // namespace dr
