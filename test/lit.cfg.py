# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "FGC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fgc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "fuzz",
                   "Inputs", "e2e", "onnx_backend.py"]

# Tests of bugs only AddressSanitizer's memory layout shows: REQUIRES: asan.
if config.fgc_sanitizers in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("asan")
config.substitutions.append(("%models", os.path.join(config.fgc_src_root, "models")))
config.substitutions.append(("%genmodels", os.path.join(config.fgc_obj_root, "models")))
config.substitutions.append(("%python", config.torch_python))
config.substitutions.append(("%fgc_bin", config.fgc_tools_dir))
config.substitutions.append(("%onnx_testdata", config.onnx_testdata))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tools = [
    ToolSubst("fgc", unresolved="fatal"),
    ToolSubst("fgc-opt", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, [config.fgc_tools_dir])
