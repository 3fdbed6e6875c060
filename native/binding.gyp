# Built by scripts/build-native.mjs, which writes torch.gypi (where libtorch is, its C++ ABI, CUDA or not).
{
  "includes": ["torch.gypi"],
  "targets": [
    {
      "target_name": "disranker",
      "sources": ["src/addon.cc", "src/tensor.cc", "src/ops.cc", "src/optim.cc", "src/allocator.cc", "src/dist.cc"],
      "include_dirs": ["<@(torch_includes)", "<(node_api_include)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GLIBCXX_USE_CXX11_ABI=<(cxx11_abi)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<(torch_lib)",
        "-Wl,-rpath,<(torch_lib)",
        "-Wl,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10"
      ],
      "conditions": [
        ["with_gloo==1", {
          "defines": ["DR_WITH_GLOO=1", "USE_C10D_GLOO=1"]
        }],
        ["with_cuda==1", {
          "defines": ["DR_WITH_CUDA=1"],
          "libraries": ["-ltorch_cuda", "-lc10_cuda"]
        }]
      ]
    }
  ]
}
