// Tensor operations. Each function takes handles (and plain numbers / arrays) and returns a new
// handle; autograd records them like any ATen call. Names follow torch where they exist.
#include "common.h"

#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

using namespace dr;

static c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return c10::nullopt;
  return ArgT(info, i);
}
static c10::optional<at::Scalar> OptScalar(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return c10::nullopt;
  return ArgScalar(info, i);
}

#define UNARY(name, expr)                          \
  DR_FN(name) {                                    \
    const auto& a = ArgT(info, 0);                 \
    return Ret(info, expr);                        \
  }
#define BINARY(name, expr)                         \
  DR_FN(name) {                                    \
    const auto& a = ArgT(info, 0);                 \
    const auto& b = ArgT(info, 1);                 \
    return Ret(info, expr);                        \
  }
#define SCALAR(name, expr)                         \
  DR_FN(name) {                                    \
    const auto& a = ArgT(info, 0);                 \
    auto s = ArgScalar(info, 1);                   \
    return Ret(info, expr);                        \
  }

// ---- elementwise ----------------------------------------------------------------------------------
BINARY(add, at::add(a, b))
BINARY(sub, at::sub(a, b))
BINARY(mul, at::mul(a, b))
BINARY(div, at::div(a, b))
BINARY(pow, at::pow(a, b))
BINARY(maximum, at::maximum(a, b))
BINARY(minimum, at::minimum(a, b))
BINARY(eq, at::eq(a, b))
BINARY(ne, at::ne(a, b))
BINARY(lt, at::lt(a, b))
BINARY(le, at::le(a, b))
BINARY(gt, at::gt(a, b))
BINARY(ge, at::ge(a, b))
BINARY(logicalAnd, at::logical_and(a, b))
BINARY(logicalOr, at::logical_or(a, b))
SCALAR(addScalar, at::add(a, s))
SCALAR(subScalar, at::sub(a, s))
SCALAR(rsubScalar, at::rsub(a, s))  // s - a
SCALAR(mulScalar, at::mul(a, s))
SCALAR(divScalar, at::div(a, s))
SCALAR(powScalar, at::pow(a, s))
SCALAR(eqScalar, at::eq(a, s))
SCALAR(neScalar, at::ne(a, s))
SCALAR(ltScalar, at::lt(a, s))
SCALAR(leScalar, at::le(a, s))
SCALAR(gtScalar, at::gt(a, s))
SCALAR(geScalar, at::ge(a, s))
UNARY(neg, at::neg(a))
UNARY(abs, at::abs(a))
UNARY(sign, at::sign(a))
UNARY(exp, at::exp(a))
UNARY(log, at::log(a))
UNARY(log1p, at::log1p(a))
UNARY(sqrt, at::sqrt(a))
UNARY(rsqrt, at::rsqrt(a))
UNARY(square, at::square(a))
UNARY(reciprocal, at::reciprocal(a))
UNARY(sin, at::sin(a))
UNARY(cos, at::cos(a))
UNARY(tanh, at::tanh(a))
UNARY(sigmoid, at::sigmoid(a))
UNARY(logsigmoid, at::log_sigmoid(a))
UNARY(softplus, at::softplus(a))
UNARY(relu, at::relu(a))
UNARY(silu, at::silu(a))
UNARY(logicalNot, at::logical_not(a))
UNARY(contiguous, a.contiguous())
UNARY(clone, a.clone())
UNARY(detach, a.detach())

DR_FN(gelu) {  // gelu(a, approximate: 'none' | 'tanh')
  return Ret(info, at::gelu(ArgT(info, 0), Has(info, 1) ? ArgS(info, 1) : "none"));
}
DR_FN(clamp) {  // clamp(a, min | null, max | null)
  return Ret(info, at::clamp(ArgT(info, 0), OptScalar(info, 1), OptScalar(info, 2)));
}
DR_FN(where) { return Ret(info, at::where(ArgT(info, 0), ArgT(info, 1), ArgT(info, 2))); }
DR_FN(maskedFill) { return Ret(info, at::masked_fill(ArgT(info, 0), ArgT(info, 1), ArgScalar(info, 2))); }
DR_FN(dropout) { return Ret(info, at::dropout(ArgT(info, 0), ArgD(info, 1), ArgB(info, 2))); }

// ---- reductions ----------------------------------------------------------------------------------------
// sum/mean(a, dims | null, keepdim): dims null reduces everything.
DR_FN(sum) {
  const auto& a = ArgT(info, 0);
  if (!Has(info, 1)) return Ret(info, a.sum());
  return Ret(info, at::sum(a, at::IntArrayRef(ArgIList(info, 1)), Has(info, 2) && ArgB(info, 2)));
}
DR_FN(mean) {
  const auto& a = ArgT(info, 0);
  if (!Has(info, 1)) return Ret(info, a.mean());
  return Ret(info, at::mean(a, at::IntArrayRef(ArgIList(info, 1)), Has(info, 2) && ArgB(info, 2)));
}
DR_FN(logsumexp) {
  return Ret(info, at::logsumexp(ArgT(info, 0), at::IntArrayRef(ArgIList(info, 1)), Has(info, 2) && ArgB(info, 2)));
}
DR_FN(maxAll) { return Ret(info, ArgT(info, 0).max()); }
DR_FN(minAll) { return Ret(info, ArgT(info, 0).min()); }
DR_FN(maxDim) {  // -> [values, indices]
  auto r = at::max(ArgT(info, 0), ArgI(info, 1), Has(info, 2) && ArgB(info, 2));
  return RetList(info, {std::get<0>(r), std::get<1>(r)});
}
DR_FN(minDim) {
  auto r = at::min(ArgT(info, 0), ArgI(info, 1), Has(info, 2) && ArgB(info, 2));
  return RetList(info, {std::get<0>(r), std::get<1>(r)});
}
DR_FN(argmax) {
  const auto& a = ArgT(info, 0);
  if (!Has(info, 1)) return Ret(info, at::argmax(a));
  return Ret(info, at::argmax(a, ArgI(info, 1), Has(info, 2) && ArgB(info, 2)));
}
DR_FN(cumsum) { return Ret(info, at::cumsum(ArgT(info, 0), ArgI(info, 1))); }
DR_FN(sort) {  // sort(a, dim, descending) -> [values, indices]
  auto r = at::sort(ArgT(info, 0), ArgI(info, 1), ArgB(info, 2));
  return RetList(info, {std::get<0>(r), std::get<1>(r)});
}
DR_FN(topk) {  // topk(a, k, dim) -> [values, indices]
  auto r = at::topk(ArgT(info, 0), ArgI(info, 1), ArgI(info, 2));
  return RetList(info, {std::get<0>(r), std::get<1>(r)});
}
DR_FN(softmax) { return Ret(info, at::softmax(ArgT(info, 0), ArgI(info, 1))); }
DR_FN(logSoftmax) { return Ret(info, at::log_softmax(ArgT(info, 0), ArgI(info, 1))); }

// ---- linear algebra and layers ------------------------------------------------------------------------------
BINARY(matmul, at::matmul(a, b))
BINARY(bmm, at::bmm(a, b))
DR_FN(linear) {  // linear(x, weight [out, in], bias | null) = x @ weight.T + bias
  return Ret(info, at::linear(ArgT(info, 0), ArgT(info, 1), OptT(info, 2)));
}
DR_FN(layerNorm) {  // layerNorm(x, normalizedShape, weight | null, bias | null, eps)
  return Ret(info, at::layer_norm(ArgT(info, 0), ArgIList(info, 1), OptT(info, 2), OptT(info, 3), ArgD(info, 4)));
}
// rmsNorm(x, weight | null, eps): weight * (x / sqrt(mean(x², -1) + eps)), computed in float32 and cast back,
// as LlamaRMSNorm / Qwen2RMSNorm do.
DR_FN(rmsNorm) {
  const auto& x = ArgT(info, 0);
  auto w = OptT(info, 1);
  double eps = ArgD(info, 2);
  auto h = x.scalar_type() == at::kDouble ? x : x.to(at::kFloat);
  auto var = h.pow(2).mean({-1}, true);
  h = h * at::rsqrt(var + eps);
  h = h.to(x.scalar_type());
  if (w) h = *w * h;
  return Ret(info, h);
}
DR_FN(embedding) {  // embedding(weight, indices, paddingIdx = -1)
  return Ret(info, at::embedding(ArgT(info, 0), ArgT(info, 1), Has(info, 2) ? ArgI(info, 2) : -1));
}
DR_FN(outer) { return Ret(info, at::outer(ArgT(info, 0), ArgT(info, 1))); }

// ---- losses -------------------------------------------------------------------------------------------
// reduction codes: 0 none, 1 mean, 2 sum (at::Reduction)
DR_FN(crossEntropy) {  // crossEntropy(logits [N, C], target [N], ignoreIndex, reduction, labelSmoothing)
  return Ret(info, at::cross_entropy_loss(ArgT(info, 0), ArgT(info, 1), {}, ArgI(info, 3), ArgI(info, 2),
                                          Has(info, 4) ? ArgD(info, 4) : 0.0));
}
DR_FN(mseLoss) { return Ret(info, at::mse_loss(ArgT(info, 0), ArgT(info, 1), ArgI(info, 2))); }
DR_FN(bceWithLogits) {  // bceWithLogits(logits, targets, reduction)
  return Ret(info, at::binary_cross_entropy_with_logits(ArgT(info, 0), ArgT(info, 1), {}, {}, ArgI(info, 2)));
}

// ---- shape -------------------------------------------------------------------------------------------------
DR_FN(reshape) { return Ret(info, ArgT(info, 0).reshape(ArgIList(info, 1))); }
DR_FN(view) { return Ret(info, ArgT(info, 0).view(ArgIList(info, 1))); }
DR_FN(permute) { return Ret(info, ArgT(info, 0).permute(ArgIList(info, 1))); }
DR_FN(transpose) { return Ret(info, ArgT(info, 0).transpose(ArgI(info, 1), ArgI(info, 2))); }
DR_FN(expand) { return Ret(info, ArgT(info, 0).expand(ArgIList(info, 1))); }
DR_FN(squeeze) {
  const auto& a = ArgT(info, 0);
  return Ret(info, Has(info, 1) ? a.squeeze(ArgI(info, 1)) : a.squeeze());
}
DR_FN(unsqueeze) { return Ret(info, ArgT(info, 0).unsqueeze(ArgI(info, 1))); }
DR_FN(flatten) { return Ret(info, ArgT(info, 0).flatten(ArgI(info, 1), ArgI(info, 2))); }
DR_FN(narrow) { return Ret(info, ArgT(info, 0).narrow(ArgI(info, 1), ArgI(info, 2), ArgI(info, 3))); }
DR_FN(slice) {  // slice(a, dim, start, end, step)
  return Ret(info, ArgT(info, 0).slice(ArgI(info, 1), ArgI(info, 2), ArgI(info, 3), Has(info, 4) ? ArgI(info, 4) : 1));
}
DR_FN(select) { return Ret(info, ArgT(info, 0).select(ArgI(info, 1), ArgI(info, 2))); }
DR_FN(flip) { return Ret(info, ArgT(info, 0).flip(ArgIList(info, 1))); }
DR_FN(repeatInterleave) { return Ret(info, ArgT(info, 0).repeat_interleave(ArgI(info, 1), ArgI(info, 2))); }
DR_FN(repeat) { return Ret(info, ArgT(info, 0).repeat(ArgIList(info, 1))); }
DR_FN(cat) { return Ret(info, at::cat(ArgTList(info, 0), ArgI(info, 1))); }
DR_FN(stack) { return Ret(info, at::stack(ArgTList(info, 0), ArgI(info, 1))); }
DR_FN(split) {  // split(a, sizes[] | size, dim)
  const auto& a = ArgT(info, 0);
  if (info[1].IsArray()) return RetList(info, a.split_with_sizes(ArgIList(info, 1), ArgI(info, 2)));
  return RetList(info, a.split(ArgI(info, 1), ArgI(info, 2)));
}
DR_FN(chunk) { return RetList(info, ArgT(info, 0).chunk(ArgI(info, 1), ArgI(info, 2))); }
DR_FN(indexSelect) { return Ret(info, at::index_select(ArgT(info, 0), ArgI(info, 1), ArgT(info, 2))); }
DR_FN(gather) { return Ret(info, at::gather(ArgT(info, 0), ArgI(info, 1), ArgT(info, 2))); }
DR_FN(triu) { return Ret(info, at::triu(ArgT(info, 0), Has(info, 1) ? ArgI(info, 1) : 0)); }
DR_FN(tril) { return Ret(info, at::tril(ArgT(info, 0), Has(info, 1) ? ArgI(info, 1) : 0)); }

// ---- dtype and device -----------------------------------------------------------------------------------------
DR_FN(toDtype) { return Ret(info, ArgT(info, 0).to(DTypeFromCode(ArgI(info, 1)))); }
DR_FN(toDevice) { return Ret(info, ArgT(info, 0).to(DeviceFromString(ArgS(info, 1)))); }

// ---- creation -------------------------------------------------------------------------------------------------
static at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t dtypeIdx) {
  auto o = at::TensorOptions().dtype(Has(info, dtypeIdx) ? DTypeFromCode(ArgI(info, dtypeIdx)) : at::kFloat);
  if (Has(info, dtypeIdx + 1)) o = o.device(DeviceFromString(ArgS(info, dtypeIdx + 1)));
  return o;
}
DR_FN(zeros) { return Ret(info, at::zeros(ArgIList(info, 0), Opts(info, 1))); }
DR_FN(ones) { return Ret(info, at::ones(ArgIList(info, 0), Opts(info, 1))); }
DR_FN(full) { return Ret(info, at::full(ArgIList(info, 0), ArgScalar(info, 1), Opts(info, 2))); }
DR_FN(randn) { return Ret(info, at::randn(ArgIList(info, 0), Opts(info, 1))); }
DR_FN(rand) { return Ret(info, at::rand(ArgIList(info, 0), Opts(info, 1))); }
DR_FN(randint) {  // randint(low, high, shape, dtype?, device?)
  return Ret(info, at::randint(ArgI(info, 0), ArgI(info, 1), ArgIList(info, 2),
                               Has(info, 3) ? Opts(info, 3) : at::TensorOptions().dtype(at::kLong)));
}
DR_FN(randperm) { return Ret(info, at::randperm(ArgI(info, 0), at::TensorOptions().dtype(at::kLong))); }
DR_FN(arange) {  // arange(start, end, step, dtype?, device?)
  return Ret(info, at::arange(ArgScalar(info, 0), ArgScalar(info, 1), ArgScalar(info, 2),
                              Has(info, 3) ? Opts(info, 3) : at::TensorOptions().dtype(at::kLong)));
}
UNARY(zerosLike, at::zeros_like(a))
UNARY(onesLike, at::ones_like(a))

// Normal init in place, for parameters: normal_(t, mean, std) and uniform_(t, low, high), without autograd.
DR_FN(normal_) {
  c10::AutoGradMode g(false);
  auto t = ArgT(info, 0);
  t.normal_(ArgD(info, 1), ArgD(info, 2));
  return info.Env().Undefined();
}
DR_FN(uniform_) {
  c10::AutoGradMode g(false);
  auto t = ArgT(info, 0);
  t.uniform_(ArgD(info, 1), ArgD(info, 2));
  return info.Env().Undefined();
}
DR_FN(fill_) {
  c10::AutoGradMode g(false);
  auto t = ArgT(info, 0);
  t.fill_(ArgScalar(info, 1));
  return info.Env().Undefined();
}

// ---- autocast (mixed precision: matmuls in bf16, reductions and norms in fp32) --------------------------------------
// The device-generic autocast API arrived in torch 2.4; 1.13 has per-device setters.
static void SetAutocast(bool cuda, bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  auto dev = cuda ? at::kCUDA : at::kCPU;
  if (enabled) at::autocast::set_autocast_dtype(dev, dtype);
  at::autocast::set_autocast_enabled(dev, enabled);
#else
  if (cuda) {
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}
DR_FN(autocastEnter) {  // autocastEnter(dtypeCode, device 'cpu'|'cuda') -> nesting depth
  bool cuda = Has(info, 1) && ArgS(info, 1) == "cuda";
  SetAutocast(cuda, true, DTypeFromCode(ArgI(info, 0)));
  return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
}
DR_FN(autocastExit) {  // autocastExit(device)
  bool cuda = Has(info, 0) && ArgS(info, 0) == "cuda";
  if (at::autocast::decrement_nesting() == 0) {
    at::autocast::clear_cache();
    SetAutocast(cuda, false, at::kFloat);
  }
  return info.Env().Undefined();
}

namespace dr {
void RegisterOps(Napi::Env env, Napi::Object exports) {
  DR_EXPORT(add); DR_EXPORT(sub); DR_EXPORT(mul); DR_EXPORT(div); DR_EXPORT(pow); DR_EXPORT(maximum); DR_EXPORT(minimum);
  DR_EXPORT(eq); DR_EXPORT(ne); DR_EXPORT(lt); DR_EXPORT(le); DR_EXPORT(gt); DR_EXPORT(ge);
  DR_EXPORT(logicalAnd); DR_EXPORT(logicalOr); DR_EXPORT(logicalNot);
  DR_EXPORT(addScalar); DR_EXPORT(subScalar); DR_EXPORT(rsubScalar); DR_EXPORT(mulScalar); DR_EXPORT(divScalar);
  DR_EXPORT(powScalar); DR_EXPORT(eqScalar); DR_EXPORT(neScalar); DR_EXPORT(ltScalar); DR_EXPORT(leScalar);
  DR_EXPORT(gtScalar); DR_EXPORT(geScalar);
  DR_EXPORT(neg); DR_EXPORT(abs); DR_EXPORT(sign); DR_EXPORT(exp); DR_EXPORT(log); DR_EXPORT(log1p); DR_EXPORT(sqrt);
  DR_EXPORT(rsqrt); DR_EXPORT(square); DR_EXPORT(reciprocal); DR_EXPORT(sin); DR_EXPORT(cos); DR_EXPORT(tanh);
  DR_EXPORT(sigmoid); DR_EXPORT(logsigmoid); DR_EXPORT(softplus); DR_EXPORT(relu); DR_EXPORT(silu); DR_EXPORT(gelu);
  DR_EXPORT(contiguous); DR_EXPORT(clone); DR_EXPORT(detach);
  DR_EXPORT(clamp); DR_EXPORT(where); DR_EXPORT(maskedFill); DR_EXPORT(dropout);
  DR_EXPORT(sum); DR_EXPORT(mean); DR_EXPORT(logsumexp); DR_EXPORT(maxAll); DR_EXPORT(minAll); DR_EXPORT(maxDim);
  DR_EXPORT(minDim); DR_EXPORT(argmax); DR_EXPORT(cumsum); DR_EXPORT(sort); DR_EXPORT(topk);
  DR_EXPORT(softmax); DR_EXPORT(logSoftmax);
  DR_EXPORT(matmul); DR_EXPORT(bmm); DR_EXPORT(linear); DR_EXPORT(layerNorm); DR_EXPORT(rmsNorm); DR_EXPORT(embedding);
  DR_EXPORT(outer);
  DR_EXPORT(crossEntropy); DR_EXPORT(mseLoss); DR_EXPORT(bceWithLogits);
  DR_EXPORT(reshape); DR_EXPORT(view); DR_EXPORT(permute); DR_EXPORT(transpose); DR_EXPORT(expand); DR_EXPORT(squeeze);
  DR_EXPORT(unsqueeze); DR_EXPORT(flatten); DR_EXPORT(narrow); DR_EXPORT(slice); DR_EXPORT(select); DR_EXPORT(flip);
  DR_EXPORT(repeatInterleave); DR_EXPORT(repeat); DR_EXPORT(cat); DR_EXPORT(stack); DR_EXPORT(split); DR_EXPORT(chunk);
  DR_EXPORT(indexSelect); DR_EXPORT(gather); DR_EXPORT(triu); DR_EXPORT(tril);
  DR_EXPORT(toDtype); DR_EXPORT(toDevice);
  DR_EXPORT(zeros); DR_EXPORT(ones); DR_EXPORT(full); DR_EXPORT(randn); DR_EXPORT(rand); DR_EXPORT(randint);
  DR_EXPORT(randperm); DR_EXPORT(arange); DR_EXPORT(zerosLike); DR_EXPORT(onesLike);
  DR_EXPORT(normal_); DR_EXPORT(uniform_); DR_EXPORT(fill_);
  DR_EXPORT(autocastEnter); DR_EXPORT(autocastExit);
}
}  // namespace dr
