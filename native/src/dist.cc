// Distributed collectives on torch's own c10d: a TCPStore for the rendezvous (rank 0 hosts it) and a
// ProcessGroupGloo (CPU) for the collectives. Built only when Gloo's headers were found
// (scripts/build-native.mjs defines DR_WITH_GLOO); otherwise every function throws "distributed support
// not built" and distAvailable() is false.
//
// Groups live in a small table; JS holds the slot number. Every collective waits for its work with the
// group's timeout, so a dead or stuck peer becomes an exception (turned into a JS Error naming the op),
// never a hang.
#include "common.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef DR_WITH_GLOO
#include <c10/core/GradMode.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace dr {
namespace {

#ifdef DR_WITH_GLOO
// torch's message without its C++ backtrace.
std::string Msg(const std::exception& e) {
  if (auto c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

std::vector<std::unique_ptr<Group>> g_groups;

Group& GetGroup(const Napi::CallbackInfo& info, size_t i) {
  int64_t h = ArgI(info, i);
  if (h < 0 || h >= static_cast<int64_t>(g_groups.size()) || !g_groups[h]) {
    throw std::runtime_error("process group " + std::to_string(h) + " is destroyed or invalid");
  }
  return *g_groups[h];
}

// Waits for `work`, rethrowing its failure (or the timeout) with the op's name in front.
void Wait(const c10::intrusive_ptr<c10d::Work>& work, const Group& g, const char* op) {
  try {
    work->wait(g.timeout);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("distributed ") + op + " failed on rank " + std::to_string(g.rank) + ": " +
                             e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("distributed ") + op + " failed on rank " + std::to_string(g.rank) + ": " + e.what());
  }
}

void CheckCpuDense(const at::Tensor& t, const char* op) {
  if (!t.device().is_cpu()) throw std::runtime_error(std::string(op) + ": the Gloo group takes CPU tensors, got " + t.device().str());
  if (!t.is_contiguous()) throw std::runtime_error(std::string(op) + ": tensors must be contiguous");
}

c10d::ReduceOp ReduceOpFrom(const std::string& s) {
  if (s == "sum" || s == "avg") return c10d::ReduceOp::SUM;
  if (s == "max") return c10d::ReduceOp::MAX;
  if (s == "min") return c10d::ReduceOp::MIN;
  if (s == "product") return c10d::ReduceOp::PRODUCT;
  throw std::runtime_error("unknown reduce op '" + s + "' (sum, avg, max, min, product)");
}
#endif

[[noreturn]] [[maybe_unused]] void NotBuilt() {
  throw std::runtime_error(
      "distributed support not built: the addon was compiled without Gloo's headers. Install libgloo-dev "
      "(apt-get install libgloo-dev) and rebuild with `node scripts/build-native.mjs --force`.");
}

}  // namespace
}  // namespace dr

using namespace dr;

DR_FN(distAvailable) {
#ifdef DR_WITH_GLOO
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// distInit(masterAddr, masterPort, rank, worldSize, timeoutMs, ifaceOrHost) -> group handle.
// ifaceOrHost: "" picks the address like torch (loopback when the master is loopback, else the hostname);
// "if:NAME" binds to that interface (GLOO_SOCKET_IFNAME), anything else is a hostname or address to bind.
DR_FN(distInit) {
#ifdef DR_WITH_GLOO
  auto addr = ArgS(info, 0);
  auto port = ArgI(info, 1);
  int rank = static_cast<int>(ArgI(info, 2));
  int size = static_cast<int>(ArgI(info, 3));
  auto timeout = std::chrono::milliseconds(ArgI(info, 4));
  std::string bind = Has(info, 5) ? ArgS(info, 5) : "";
  if (size < 1 || rank < 0 || rank >= size) {
    throw std::runtime_error("distInit: rank " + std::to_string(rank) + " is outside world size " + std::to_string(size));
  }
  if (port <= 0 || port > 65535) throw std::runtime_error("distInit: bad master port " + std::to_string(port));
  auto g = std::make_unique<Group>();
  g->rank = rank;
  g->size = size;
  g->timeout = timeout;
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<size_t>(size);
  so.waitWorkers = true;
  so.timeout = timeout;
  try {
    g->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
  } catch (const std::exception& e) {
    throw std::runtime_error("distInit: rank " + std::to_string(rank) + " could not " +
                             (rank == 0 ? "host" : "reach") + " the TCPStore at " + addr + ":" + std::to_string(port) +
                             " within " + std::to_string(timeout.count()) + " ms: " + Msg(e));
  }
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  if (bind.rfind("if:", 0) == 0) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(bind.substr(3)));
  } else if (!bind.empty()) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(bind));
  } else if (addr == "127.0.0.1" || addr == "localhost" || addr == "::1") {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  opts->threads = 2;
  try {
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, size, opts);
  } catch (const std::exception& e) {
    throw std::runtime_error("distInit: rank " + std::to_string(rank) + " could not connect the Gloo group: " + Msg(e));
  }
  g_groups.push_back(std::move(g));
  return Napi::Number::New(info.Env(), static_cast<double>(g_groups.size() - 1));
#else
  NotBuilt();
#endif
}

// distAllReduce(group, handles[], op): in place; "avg" sums then divides by the world size.
DR_FN(distAllReduce) {
#ifdef DR_WITH_GLOO
  auto& g = GetGroup(info, 0);
  auto ts = ArgTList(info, 1);
  auto opName = ArgS(info, 2);
  c10::NoGradGuard ng;
  std::vector<at::Tensor> xs;
  for (auto& t : ts) {
    CheckCpuDense(t, "allReduce");
    xs.push_back(t.detach());
  }
  c10d::AllreduceOptions o;
  o.reduceOp = ReduceOpFrom(opName);
  o.timeout = g.timeout;
  // Gloo's allreduce takes one tensor per device; reduce the tensors one by one.
  for (auto& x : xs) {
    std::vector<at::Tensor> one{x};
    Wait(g.pg->allreduce(one, o), g, "allReduce");
    if (opName == "avg") x.div_(g.size);
  }
  return info.Env().Undefined();
#else
  NotBuilt();
#endif
}

// distBroadcast(group, handles[], root): in place.
DR_FN(distBroadcast) {
#ifdef DR_WITH_GLOO
  auto& g = GetGroup(info, 0);
  auto ts = ArgTList(info, 1);
  int root = static_cast<int>(ArgI(info, 2));
  if (root < 0 || root >= g.size) throw std::runtime_error("broadcast: root " + std::to_string(root) + " is outside the group");
  c10::NoGradGuard ng;
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.rootTensor = 0;
  o.timeout = g.timeout;
  for (auto& t : ts) {
    CheckCpuDense(t, "broadcast");
    std::vector<at::Tensor> one{t.detach()};
    Wait(g.pg->broadcast(one, o), g, "broadcast");
  }
  return info.Env().Undefined();
#else
  NotBuilt();
#endif
}

// distAllGather(group, handle) -> handles[worldSize], one new tensor per rank (same shape and dtype).
DR_FN(distAllGather) {
#ifdef DR_WITH_GLOO
  auto& g = GetGroup(info, 0);
  auto t = ArgT(info, 1).detach();
  CheckCpuDense(t, "allGather");
  c10::NoGradGuard ng;
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int r = 0; r < g.size; ++r) outs[0].push_back(at::empty_like(t));
  std::vector<at::Tensor> in{t};
  c10d::AllgatherOptions o;
  o.timeout = g.timeout;
  Wait(g.pg->allgather(outs, in, o), g, "allGather");
  return RetList(info, outs[0]);
#else
  NotBuilt();
#endif
}

DR_FN(distBarrier) {
#ifdef DR_WITH_GLOO
  auto& g = GetGroup(info, 0);
  c10d::BarrierOptions o;
  o.timeout = g.timeout;
  Wait(g.pg->barrier(o), g, "barrier");
  return info.Env().Undefined();
#else
  NotBuilt();
#endif
}

DR_FN(distDestroy) {
#ifdef DR_WITH_GLOO
  int64_t h = ArgI(info, 0);
  if (h >= 0 && h < static_cast<int64_t>(g_groups.size())) g_groups[h].reset();
  return info.Env().Undefined();
#else
  NotBuilt();
#endif
}

// distReduceGrads(group, params[], bucketBytes) -> milliseconds spent in the collectives.
// Averages the parameters' gradients over the group: the gradients are flattened into buckets of about
// `bucketBytes` (one dtype per bucket), each bucket is all-reduced (sum) and divided by the world size, and the
// result is copied back. A parameter without a gradient on this rank counts as zeros; it gets a gradient when any
// rank had one (a presence flag per parameter is reduced first), so every rank steps the same parameters.
DR_FN(distReduceGrads) {
#ifdef DR_WITH_GLOO
  auto& g = GetGroup(info, 0);
  auto params = ArgTList(info, 1);
  int64_t bucketBytes = std::max<int64_t>(1, ArgI(info, 2));
  c10::NoGradGuard ng;
  double ms = 0;
  auto timed = [&](std::vector<at::Tensor>& xs, const char* op) {
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    o.timeout = g.timeout;
    auto t0 = std::chrono::steady_clock::now();
    Wait(g.pg->allreduce(xs, o), g, op);
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  const size_t n = params.size();
  auto present = at::zeros({static_cast<int64_t>(n)}, at::kFloat);
  auto pp = present.data_ptr<float>();
  bool allPresent = true;
  for (size_t i = 0; i < n; ++i) {
    CheckCpuDense(params[i], "reduceGrads");
    if (params[i].grad().defined()) pp[i] = 1; else allPresent = false;
  }
  {
    std::vector<at::Tensor> one{present};
    timed(one, "allReduce (gradient presence)");
  }
  std::vector<size_t> used;
  for (size_t i = 0; i < n; ++i) {
    if (pp[i] > 0) {
      auto p = params[i];
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
      used.push_back(i);
    }
  }
  (void)allPresent;
  size_t k = 0;
  while (k < used.size()) {
    std::vector<at::Tensor> grads;
    auto dtype = params[used[k]].grad().scalar_type();
    int64_t bytes = 0;
    while (k < used.size() && params[used[k]].grad().scalar_type() == dtype && (grads.empty() || bytes < bucketBytes)) {
      auto gr = params[used[k]].grad();
      grads.push_back(gr);
      bytes += gr.numel() * gr.element_size();
      ++k;
    }
    std::vector<at::Tensor> flat_parts;
    for (auto& gr : grads) flat_parts.push_back(gr.reshape({-1}));
    std::vector<at::Tensor> flat{at::cat(flat_parts)};
    timed(flat, "allReduce (gradients)");
    flat[0].div_(g.size);
    int64_t off = 0;
    for (auto& gr : grads) {
      gr.copy_(flat[0].narrow(0, off, gr.numel()).view(gr.sizes()));
      off += gr.numel();
    }
  }
  return Napi::Number::New(info.Env(), ms);
#else
  NotBuilt();
#endif
}

namespace dr {
void RegisterDist(Napi::Env env, Napi::Object exports) {
  DR_EXPORT(distAvailable);
  DR_EXPORT(distInit);
  DR_EXPORT(distAllReduce);
  DR_EXPORT(distBroadcast);
  DR_EXPORT(distAllGather);
  DR_EXPORT(distBarrier);
  DR_EXPORT(distDestroy);
  DR_EXPORT(distReduceGrads);
}
}  // namespace dr
