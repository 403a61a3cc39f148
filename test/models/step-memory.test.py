"""Reads two `fgc inspect --json` outputs (LG-FG-A, FG-A) and prints the
ratios step-memory.test checks."""
import json
import sys

local, glob = (json.load(open(p))["step_memory"] for p in sys.argv[1:3])
print("lg-fg-a peak/all < 0.2:",
      local["peak_activation_bytes"] < 0.2 * local["all_activation_bytes"])
print("lg-fg-a peak < fg-a peak / 1.5:",
      local["peak_activation_bytes"] * 1.5 < glob["peak_activation_bytes"])
