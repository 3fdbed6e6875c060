// AdamW, torch's own implementation (torch::optim::AdamW of the C++ frontend), with parameter groups
// and access to its state so that TypeScript can save and restore it (as safetensors).
#include "common.h"

#include <torch/optim/adamw.h>

#include <memory>
#include <sstream>
#include <type_traits>

using namespace dr;

static std::vector<std::unique_ptr<torch::optim::AdamW>> g_optims;

static torch::optim::AdamW& GetOptim(const Napi::CallbackInfo& info, size_t i) {
  int64_t id = ArgI(info, i);
  if (id < 0 || id >= static_cast<int64_t>(g_optims.size()) || !g_optims[id])
    throw std::runtime_error("optimizer " + std::to_string(id) + " is disposed or invalid");
  return *g_optims[id];
}

// The state map is keyed by a string of the TensorImpl address in torch 1.x and by the address itself in 2.x.
template <typename Map>
static typename Map::key_type StateKey(const Map&, const at::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream ss;  // the format of c10::guts::to_string(TensorImpl*), which torch 1.x uses as the key
    ss << p.unsafeGetTensorImpl();
    return ss.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

// adamwCreate(groups: {params: handle[], lr, weightDecay}[], beta1, beta2, eps, amsgrad) -> id
DR_FN(adamwCreate) {
  auto groups = info[0].As<Napi::Array>();
  double b1 = ArgD(info, 1), b2 = ArgD(info, 2), eps = ArgD(info, 3);
  bool amsgrad = ArgB(info, 4);
  std::vector<torch::optim::OptimizerParamGroup> pgs;
  for (uint32_t g = 0; g < groups.Length(); ++g) {
    auto obj = groups.Get(g).As<Napi::Object>();
    auto params = obj.Get("params").As<Napi::Array>();
    std::vector<at::Tensor> ps;
    for (uint32_t k = 0; k < params.Length(); ++k) ps.push_back(Get(params.Get(k).As<Napi::Number>().Int64Value()));
    auto opts = std::make_unique<torch::optim::AdamWOptions>(obj.Get("lr").As<Napi::Number>().DoubleValue());
    opts->betas(std::make_tuple(b1, b2)).eps(eps).amsgrad(amsgrad).weight_decay(obj.Get("weightDecay").As<Napi::Number>().DoubleValue());
    pgs.emplace_back(std::move(ps), std::move(opts));
  }
  torch::optim::AdamWOptions defaults(1e-3);
  defaults.betas(std::make_tuple(b1, b2)).eps(eps).amsgrad(amsgrad);
  g_optims.push_back(std::make_unique<torch::optim::AdamW>(std::move(pgs), defaults));
  return Napi::Number::New(info.Env(), static_cast<double>(g_optims.size() - 1));
}

DR_FN(adamwStep) {
  c10::AutoGradMode g(false);
  GetOptim(info, 0).step();
  return info.Env().Undefined();
}

DR_FN(adamwSetLr) {  // adamwSetLr(id, groupIndex, lr)
  auto& opt = GetOptim(info, 0);
  auto gi = ArgI(info, 1);
  static_cast<torch::optim::AdamWOptions&>(opt.param_groups().at(gi).options()).lr(ArgD(info, 2));
  return info.Env().Undefined();
}

// adamwGetState(id) -> per parameter, in group order: null (no step yet) or {step, expAvg, expAvgSq, maxExpAvgSq?}
DR_FN(adamwGetState) {
  auto& opt = GetOptim(info, 0);
  auto env = info.Env();
  auto out = Napi::Array::New(env);
  uint32_t k = 0;
  auto& state = opt.state();
  for (auto& group : opt.param_groups()) {
    for (auto& p : group.params()) {
      auto it = state.find(StateKey(state, p));
      if (it == state.end()) {
        out.Set(k++, env.Null());
        continue;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      auto o = Napi::Object::New(env);
      o.Set("step", Napi::Number::New(env, static_cast<double>(s.step())));
      o.Set("expAvg", Napi::Number::New(env, static_cast<double>(Put(s.exp_avg()))));
      o.Set("expAvgSq", Napi::Number::New(env, static_cast<double>(Put(s.exp_avg_sq()))));
      if (s.max_exp_avg_sq().defined())
        o.Set("maxExpAvgSq", Napi::Number::New(env, static_cast<double>(Put(s.max_exp_avg_sq()))));
      out.Set(k++, o);
    }
  }
  return out;
}

// adamwSetState(id, entries) with entries as returned by adamwGetState (tensors are copied).
DR_FN(adamwSetState) {
  auto& opt = GetOptim(info, 0);
  auto entries = info[1].As<Napi::Array>();
  auto& state = opt.state();
  uint32_t k = 0;
  for (auto& group : opt.param_groups()) {
    for (auto& p : group.params()) {
      if (k >= entries.Length()) throw std::runtime_error("optimizer state has fewer entries than parameters");
      auto v = entries.Get(k++);
      auto key = StateKey(state, p);
      if (v.IsNull() || v.IsUndefined()) {
        state.erase(key);
        continue;
      }
      auto o = v.As<Napi::Object>();
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      auto load = [&](const char* name) {
        auto t = Get(o.Get(name).As<Napi::Number>().Int64Value());
        if (!t.sizes().equals(p.sizes()))
          throw std::runtime_error(std::string("optimizer state ") + name + " has shape " + c10::str(t.sizes()) +
                                   " but the parameter has " + c10::str(p.sizes()));
        return t.to(p.options()).clone();
      };
      s->step(static_cast<int64_t>(o.Get("step").As<Napi::Number>().Int64Value()));
      s->exp_avg(load("expAvg"));
      s->exp_avg_sq(load("expAvgSq"));
      if (o.Has("maxExpAvgSq") && !o.Get("maxExpAvgSq").IsUndefined()) s->max_exp_avg_sq(load("maxExpAvgSq"));
      state[key] = std::move(s);
    }
  }
  if (k != entries.Length()) throw std::runtime_error("optimizer state has more entries than parameters");
  return info.Env().Undefined();
}

DR_FN(adamwFree) {
  int64_t id = ArgI(info, 0);
  if (id >= 0 && id < static_cast<int64_t>(g_optims.size())) g_optims[id].reset();
  return info.Env().Undefined();
}

namespace dr {
void RegisterOptim(Napi::Env env, Napi::Object exports) {
  DR_EXPORT(adamwCreate);
  DR_EXPORT(adamwStep);
  DR_EXPORT(adamwSetLr);
  DR_EXPORT(adamwGetState);
  DR_EXPORT(adamwSetState);
  DR_EXPORT(adamwFree);
}
}  // namespace dr
