// A caching CPU allocator. glibc serves large blocks with mmap and returns them with munmap, so every
// new activation tensor page-faults its memory in again; a training step allocates the same sizes over
// and over. Freed blocks go to per-size free lists and are handed out again. The cache is capped
// (DISRANKER_ALLOC_CACHE_MB, default 2048); past the cap, blocks go straight back to the system.
#include "common.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace dr {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHeader = 64;  // holds the rounded size, keeps the data 64-byte aligned

struct Stats {
  size_t cached = 0, inUse = 0, hits = 0, misses = 0, peakInUse = 0;
};

class CachingCPUAllocator final : public c10::Allocator {
 public:
  CachingCPUAllocator() {
    const char* env = std::getenv("DISRANKER_ALLOC_CACHE_MB");
    limit_ = static_cast<size_t>(env ? std::atoll(env) : 2048) << 20;
  }

  static size_t Round(size_t n) {
    if (n <= (1u << 20)) return (n + 511) & ~size_t(511);
    return (n + (1u << 16) - 1) & ~((size_t(1) << 16) - 1);
  }

  c10::DataPtr Allocate(size_t n) {
    if (n == 0) return c10::DataPtr(nullptr, nullptr, &Delete, c10::Device(c10::DeviceType::CPU));
    size_t size = Round(n);
    void* base = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        base = it->second.back();
        it->second.pop_back();
        stats_.cached -= size;
        ++stats_.hits;
      } else {
        ++stats_.misses;
      }
      stats_.inUse += size;
      if (stats_.inUse > stats_.peakInUse) stats_.peakInUse = stats_.inUse;
    }
    if (!base) {
      if (posix_memalign(&base, kAlign, size + kHeader) != 0 || !base) {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.inUse -= size;
        throw std::bad_alloc();
      }
      *static_cast<size_t*>(base) = size;
    }
    void* data = static_cast<char*>(base) + kHeader;
    return c10::DataPtr(data, data, &Delete, c10::Device(c10::DeviceType::CPU));
  }

  void Release(void* data) {
    if (!data) return;
    void* base = static_cast<char*>(data) - kHeader;
    size_t size = *static_cast<size_t*>(base);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.inUse -= size;
      if (stats_.cached + size <= limit_) {
        free_[size].push_back(base);
        stats_.cached += size;
        return;
      }
    }
    std::free(base);
  }

  void EmptyCache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_)
      for (void* p : kv.second) std::free(p);
    free_.clear();
    stats_.cached = 0;
  }

  Stats GetStats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  static void Delete(void* data);

  // c10::Allocator's interface changed in torch 2.3: allocate lost its const and copy_data appeared.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return Allocate(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t n) const override { return const_cast<CachingCPUAllocator*>(this)->Allocate(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &Delete; }

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  Stats stats_;
  size_t limit_;
};

CachingCPUAllocator* g_alloc = nullptr;

void CachingCPUAllocator::Delete(void* data) { g_alloc->Release(data); }

}  // namespace

void InstallCachingAllocator() {
  const char* off = std::getenv("DISRANKER_NO_CACHING_ALLOCATOR");
  if (off && off[0] == '1') return;
  g_alloc = new CachingCPUAllocator();  // never freed: tensors may outlive the addon's teardown
  c10::SetCPUAllocator(g_alloc, /*priority=*/100);
}

Napi::Value AllocatorStats(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("installed", Napi::Boolean::New(env, g_alloc != nullptr));
  if (g_alloc) {
    if (info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) g_alloc->EmptyCache();
    auto s = g_alloc->GetStats();
    o.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(s.cached)));
    o.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(s.inUse)));
    o.Set("peakInUseBytes", Napi::Number::New(env, static_cast<double>(s.peakInUse)));
    o.Set("hits", Napi::Number::New(env, static_cast<double>(s.hits)));
    o.Set("misses", Napi::Number::New(env, static_cast<double>(s.misses)));
  }
  return o;
}

}  // namespace dr
