//===- OpCases.h - One-op test modules for the derivative tests -*- C++ -*-===//
//
// The generated one-op functions (every fg op and attribute variant, f64
// tensors of seeded random shapes) that JvpTest and VjpTest differentiate,
// and helpers to call compiled functions. Test-only.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TEST_UNIT_OPCASES_H
#define FGC_TEST_UNIT_OPCASES_H

#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Target/Artifact.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace fgc::testing {

using rt::ArgSpec;
using rt::DType;
using rt::Tensor;

inline std::string format(const char *fmt, ...) {
  char buffer[8192];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  return buffer;
}

/// "tensor<2x3xf64>".
inline std::string T(std::vector<int64_t> shape, const char *elt = "f64") {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + elt + ">";
}

inline std::string fn(const std::string &args, const std::string &result,
                      const std::string &body) {
  return "func.func @forward(" + args + ") -> " + result + " {\n" + body +
         "\n}\n";
}

/// A generated test module plus how to fill its inputs.
struct Case {
  std::string text;
  bool positive = false;    // inputs drawn from [0.5, 2] (log, sqrt, pow)
  int64_t indexBound = 1;   // i64 inputs drawn from [-bound, bound)
  bool zeroTangent = false; // the op cuts tangents (fg.stop_gradient)
  bool jvpOnly = false;     // no VJP rule: made after differentiation
                            // (fg.moments, of decomposed layer norms)
};

using Generator = std::function<Case(std::mt19937 &)>;

inline int64_t dim(std::mt19937 &rng, int64_t lo = 2, int64_t hi = 5) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

inline Case unary(const char *op, std::mt19937 &rng, bool positive = false,
                  const char *attrs = "") {
  std::string t = T({dim(rng), dim(rng)});
  Case c;
  c.positive = positive;
  c.text = fn("%x: " + t, t,
              format("  %%0 = fg.%s %%x %s: %s\n  return %%0 : %s", op, attrs,
                     t.c_str(), t.c_str()));
  return c;
}

inline Case binary(const char *op, std::mt19937 &rng, bool broadcast,
                   bool positive = false) {
  int64_t a = dim(rng), b = dim(rng);
  std::string ta = T({a, b}), tb = broadcast ? T({b}) : T({a, b});
  Case c;
  c.positive = positive;
  c.text = fn("%x: " + ta + ", %y: " + tb, ta,
              format("  %%0 = fg.%s %%x, %%y : %s, %s -> %s\n  return %%0 : %s",
                     op, ta.c_str(), tb.c_str(), ta.c_str(), ta.c_str()));
  return c;
}

/// fg.matmul of operands shaped `a` and `b` into `out`.
inline Case matmul(std::vector<int64_t> a, std::vector<int64_t> b,
                   std::vector<int64_t> out) {
  Case c;
  c.text =
      fn("%a: " + T(a) + ", %b: " + T(b), T(out),
         format("  %%0 = fg.matmul %%a, %%b : %s, %s -> %s\n"
                "  return %%0 : %s",
                T(a).c_str(), T(b).c_str(), T(out).c_str(), T(out).c_str()));
  return c;
}

/// select(x > 0, x, y) with y broadcast: the condition comes from the data,
/// so both branches and the broadcast are exercised.
inline Case select(std::mt19937 &rng) {
  int64_t a = dim(rng), b = dim(rng);
  std::string ta = T({a, b}), tb = T({b}), tm = T({a, b}, "i1");
  Case c;
  c.text = fn("%x: " + ta + ", %y: " + tb, ta,
              format("  %%z = fg.constant dense<0.0> : tensor<f64>\n"
                     "  %%m = fg.compare \"gt\", %%x, %%z : %s, tensor<f64> -> "
                     "%s\n"
                     "  %%c = fg.cast %%m : %s -> %s\n"
                     "  %%0 = fg.select %%c, %%x, %%y : %s, %s, %s -> %s\n"
                     "  return %%0 : %s",
                     ta.c_str(), ta.c_str(), ta.c_str(), tm.c_str(), tm.c_str(),
                     ta.c_str(), tb.c_str(), ta.c_str(), ta.c_str()));
  return c;
}

/// fg.<op> on a [a, b] input mapped into the op's domain first: "all"
/// (the input), "unit" (tanh of it, inside (-1, 1)) or "above1" (x^2 + 1.5).
inline Case math(const char *op, std::mt19937 &rng, const char *domain,
                 bool piecewiseConstant = false) {
  std::string t = T({dim(rng), dim(rng)});
  const char *ts = t.c_str();
  std::string pre;
  if (std::string(domain) == "unit")
    pre = format("  %%d = fg.tanh %%x : %s\n", ts);
  else if (std::string(domain) == "above1")
    pre = format("  %%s = fg.mul %%x, %%x : %s, %s -> %s\n"
                 "  %%c = fg.constant dense<1.5> : tensor<f64>\n"
                 "  %%d = fg.add %%s, %%c : %s, tensor<f64> -> %s\n",
                 ts, ts, ts, ts, ts);
  std::string in = pre.empty() ? "%x" : "%d";
  Case c;
  c.zeroTangent = piecewiseConstant;
  c.text = fn("%x: " + t, t,
              pre + format("  %%0 = fg.%s %s : %s\n  return %%0 : %s", op,
                           in.c_str(), ts, ts));
  return c;
}

inline const std::vector<std::pair<std::string, Generator>> &cases() {
  static const std::vector<std::pair<std::string, Generator>> all = {
      {"add", [](auto &r) { return binary("add", r, false); }},
      {"add_broadcast", [](auto &r) { return binary("add", r, true); }},
      {"sub_broadcast", [](auto &r) { return binary("sub", r, true); }},
      {"mul", [](auto &r) { return binary("mul", r, false); }},
      {"mul_broadcast", [](auto &r) { return binary("mul", r, true); }},
      {"div", [](auto &r) { return binary("div", r, false, true); }},
      {"div_broadcast", [](auto &r) { return binary("div", r, true, true); }},
      {"pow", [](auto &r) { return binary("pow", r, false, true); }},
      {"max", [](auto &r) { return binary("max", r, false); }},
      {"max_broadcast", [](auto &r) { return binary("max", r, true); }},
      {"select", [](auto &r) { return select(r); }},
      {"sin", [](auto &r) { return math("sin", r, "all"); }},
      {"cos", [](auto &r) { return math("cos", r, "all"); }},
      {"tan", [](auto &r) { return math("tan", r, "unit"); }},
      {"asin", [](auto &r) { return math("asin", r, "unit"); }},
      {"acos", [](auto &r) { return math("acos", r, "unit"); }},
      {"atan", [](auto &r) { return math("atan", r, "all"); }},
      {"sinh", [](auto &r) { return math("sinh", r, "all"); }},
      {"cosh", [](auto &r) { return math("cosh", r, "all"); }},
      {"asinh", [](auto &r) { return math("asinh", r, "all"); }},
      {"acosh", [](auto &r) { return math("acosh", r, "above1"); }},
      {"atanh", [](auto &r) { return math("atanh", r, "unit"); }},
      {"floor", [](auto &r) { return math("floor", r, "all", true); }},
      {"ceil", [](auto &r) { return math("ceil", r, "all", true); }},
      {"round", [](auto &r) { return math("round", r, "all", true); }},
      {"min", [](auto &r) { return binary("min", r, false); }},
      {"min_broadcast", [](auto &r) { return binary("min", r, true); }},
      {"neg", [](auto &r) { return unary("neg", r); }},
      {"abs", [](auto &r) { return unary("abs", r); }},
      {"exp", [](auto &r) { return unary("exp", r); }},
      {"log", [](auto &r) { return unary("log", r, true); }},
      {"sqrt", [](auto &r) { return unary("sqrt", r, true); }},
      {"erf", [](auto &r) { return unary("erf", r); }},
      {"relu", [](auto &r) { return unary("relu", r); }},
      {"leaky_relu",
       [](auto &r) {
         return unary("leaky_relu", r, false, "{alpha = 0.2 : f64} ");
       }},
      {"sigmoid", [](auto &r) { return unary("sigmoid", r); }},
      {"tanh", [](auto &r) { return unary("tanh", r); }},
      {"softmax_axis0",
       [](auto &r) { return unary("softmax", r, false, "{axis = 0} "); }},
      {"softmax_axis1",
       [](auto &r) { return unary("softmax", r, false, "{axis = 1} "); }},
      {"log_softmax",
       [](auto &r) { return unary("log_softmax", r, false, "{axis = 1} "); }},
      {"stop_gradient",
       [](auto &r) {
         Case c = unary("stop_gradient", r);
         c.zeroTangent = true;
         return c;
       }},
      {"matmul",
       [](auto &r) {
         int64_t m = dim(r), k = dim(r), n = dim(r);
         return matmul({m, k}, {k, n}, {m, n});
       }},
      {"matmul_nd_by_2d",
       [](auto &r) {
         int64_t b = dim(r), m = dim(r), k = dim(r), n = dim(r);
         return matmul({b, m, k}, {k, n}, {b, m, n});
       }},
      {"matmul_batch_broadcast",
       [](auto &r) {
         int64_t b = dim(r), m = dim(r), k = dim(r), n = dim(r);
         return matmul({1, m, k}, {b, k, n}, {b, m, n});
       }},
      {"matmul_vectors",
       [](auto &r) {
         int64_t k = dim(r), n = dim(r);
         Case c;
         c.text = fn("%a: " + T({k}) + ", %b: " + T({k, n}) + ", %v: " + T({n}),
                     "(" + T({n}) + ", " + T({k}) + ")",
                     format("  %%0 = fg.matmul %%a, %%b : %s, %s -> %s\n"
                            "  %%1 = fg.matmul %%b, %%v : %s, %s -> %s\n"
                            "  return %%0, %%1 : %s, %s",
                            T({k}).c_str(), T({k, n}).c_str(), T({n}).c_str(),
                            T({k, n}).c_str(), T({n}).c_str(), T({k}).c_str(),
                            T({n}).c_str(), T({k}).c_str()));
         return c;
       }},
      {"gemm",
       [](auto &r) {
         int64_t m = dim(r), k = dim(r), n = dim(r);
         Case c;
         c.text = fn(
             "%a: " + T({m, k}) + ", %b: " + T({k, n}), T({m, n}),
             format(
                 "  %%0 = fg.gemm %%a, %%b : (%s, %s) -> %s\n  return %%0 : %s",
                 T({m, k}).c_str(), T({k, n}).c_str(), T({m, n}).c_str(),
                 T({m, n}).c_str()));
         return c;
       }},
      {"gemm_trans_alpha_beta_c",
       [](auto &r) {
         int64_t m = dim(r), k = dim(r), n = dim(r);
         Case c;
         c.text =
             fn("%a: " + T({k, m}) + ", %b: " + T({n, k}) + ", %c: " + T({n}),
                T({m, n}),
                format("  %%0 = fg.gemm %%a, %%b, %%c {alpha = 0.5 : f64, beta "
                       "= 1.5 : f64, "
                       "trans_a = true, trans_b = true} : (%s, %s, %s) -> %s\n"
                       "  return %%0 : %s",
                       T({k, m}).c_str(), T({n, k}).c_str(), T({n}).c_str(),
                       T({m, n}).c_str(), T({m, n}).c_str()));
         return c;
       }},
      {"conv2d_groups_stride_pad_dilation_bias",
       [](auto &r) {
         int64_t n = 2, g = 2, cg = dim(r, 1, 2), mg = dim(r, 1, 2),
                 h = dim(r, 6, 8);
         std::string x = T({n, g * cg, h, h}), w = T({g * mg, cg, 3, 3}),
                     b = T({g * mg});
         int64_t o = (h + 2 - 5) / 2 + 1;
         std::string y = T({n, g * mg, o, o});
         Case c;
         c.text = fn(
             "%x: " + x + ", %w: " + w + ", %b: " + b, y,
             format(
                 "  %%0 = fg.conv %%x, %%w, %%b {strides = array<i64: 2, 2>, "
                 "pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 2, 2>, "
                 "group = %ld} : (%s, %s, %s) -> %s\n  return %%0 : %s",
                 g, x.c_str(), w.c_str(), b.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
      {"conv1d",
       [](auto &r) {
         int64_t l = dim(r, 5, 8), ci = dim(r, 1, 3), co = dim(r, 1, 3);
         std::string x = T({2, ci, l}), w = T({co, ci, 3}),
                     y = T({2, co, l - 2});
         Case c;
         c.text = fn(
             "%x: " + x + ", %w: " + w, y,
             format("  %%0 = fg.conv %%x, %%w {strides = array<i64: 1>, pads = "
                    "array<i64: 0, 0>, dilations = array<i64: 1>} : (%s, %s) "
                    "-> %s\n"
                    "  return %%0 : %s",
                    x.c_str(), w.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
      {"max_pool_pads_ceil",
       [](auto &r) {
         int64_t h = dim(r, 4, 7);
         std::string x = T({2, 2, h, h});
         int64_t o = (h + 1 - 3 + 1) / 2 + 1; // ceil((h + 1 - 3) / 2) + 1
         if ((o - 1) * 2 >= h + 1)
           --o;
         std::string y = T({2, 2, o, o});
         Case c;
         c.text = fn(
             "%x: " + x, y,
             format(
                 "  %%0 = fg.max_pool %%x {kernel_shape = array<i64: 3, 3>, "
                 "strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, "
                 "dilations = array<i64: 1, 1>, ceil_mode = true} : %s -> %s\n"
                 "  return %%0 : %s",
                 x.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
      {"avg_pool_count_include_pad",
       [](auto &r) {
         int64_t h = dim(r, 4, 7);
         std::string x = T({2, 2, h, h}), y = T({2, 2, h, h});
         Case c;
         c.text = fn(
             "%x: " + x, y,
             format(
                 "  %%0 = fg.avg_pool %%x {kernel_shape = array<i64: 3, 3>, "
                 "strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, "
                 "count_include_pad = true} : %s -> %s\n  return %%0 : %s",
                 x.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
      {"avg_pool_exclude_pad_1d",
       [](auto &r) {
         int64_t l = dim(r, 4, 7);
         std::string x = T({2, 3, l}), y = T({2, 3, (l + 2 - 3) / 2 + 1});
         Case c;
         c.text =
             fn("%x: " + x, y,
                format("  %%0 = fg.avg_pool %%x {kernel_shape = array<i64: 3>, "
                       "strides = array<i64: 2>, pads = array<i64: 1, 1>} : %s "
                       "-> %s\n"
                       "  return %%0 : %s",
                       x.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
      {"reduce_mean_keepdims",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r), d = dim(r);
         Case c;
         c.text = fn("%x: " + T({a, b, d}), T({a, 1, 1}),
                     format("  %%0 = fg.reduce_mean %%x {axes = array<i64: 1, "
                            "2>} : %s -> %s\n"
                            "  return %%0 : %s",
                            T({a, b, d}).c_str(), T({a, 1, 1}).c_str(),
                            T({a, 1, 1}).c_str()));
         return c;
       }},
      {"moments",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r), d = dim(r);
         std::string in = T({a, b, d}), out = T({a, 1, d});
         Case c;
         c.jvpOnly = true;
         c.text = fn("%x: " + in, "(" + out + ", " + out + ")",
                     format("  %%0:2 = fg.moments %%x {axes = array<i64: 1>} "
                            ": %s -> %s, %s\n"
                            "  return %%0#0, %%0#1 : %s, %s",
                            in.c_str(), out.c_str(), out.c_str(), out.c_str(),
                            out.c_str()));
         return c;
       }},
      {"reduce_sum_all",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r);
         Case c;
         c.text = fn("%x: " + T({a, b}), T({}),
                     format("  %%0 = fg.reduce_sum %%x {axes = array<i64>, "
                            "keepdims = false} "
                            ": %s -> %s\n  return %%0 : %s",
                            T({a, b}).c_str(), T({}).c_str(), T({}).c_str()));
         return c;
       }},
      {"reduce_max",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r);
         Case c;
         c.text = fn("%x: " + T({a, b}), T({b}),
                     format("  %%0 = fg.reduce_max %%x {axes = array<i64: 0>, "
                            "keepdims = false} "
                            ": %s -> %s\n  return %%0 : %s",
                            T({a, b}).c_str(), T({b}).c_str(), T({b}).c_str()));
         return c;
       }},
      {"layer_norm",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r, 3, 6);
         Case c;
         c.text = fn(
             "%x: " + T({a, b}), T({a, b}),
             format("  %%0 = fg.layer_norm %%x {axis = 1} : (%s) -> %s\n"
                    "  return %%0 : %s",
                    T({a, b}).c_str(), T({a, b}).c_str(), T({a, b}).c_str()));
         return c;
       }},
      {"layer_norm_affine_two_axes",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r), d = dim(r);
         std::string x = T({a, b, d}), s = T({b, d}), bias = T({d});
         Case c;
         c.text = fn(
             "%x: " + x + ", %s: " + s + ", %b: " + bias, x,
             format("  %%0 = fg.layer_norm %%x affine(%%s, %%b) {axis = 1, "
                    "epsilon = "
                    "1.0e-3 : f64} : (%s, %s, %s) -> %s\n  return %%0 : %s",
                    x.c_str(), s.c_str(), bias.c_str(), x.c_str(), x.c_str()));
         return c;
       }},
      {"batch_norm",
       [](auto &r) {
         int64_t ch = dim(r);
         std::string x = T({2, ch, 3, 3}), v = T({ch});
         Case c;
         c.positive = true; // variances must be positive
         c.text = fn("%x: " + x + ", %s: " + v + ", %b: " + v + ", %m: " + v +
                         ", %v: " + v,
                     x,
                     format("  %%0 = fg.batch_norm %%x, %%s, %%b, %%m, %%v : "
                            "(%s, %s, %s, %s, "
                            "%s) -> %s\n  return %%0 : %s",
                            x.c_str(), v.c_str(), v.c_str(), v.c_str(),
                            v.c_str(), x.c_str(), x.c_str()));
         return c;
       }},
      {"reshape",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r);
         Case c;
         c.text =
             fn("%x: " + T({a, b, 2}), T({2 * b, a}),
                format("  %%0 = fg.reshape %%x : %s -> %s\n  return %%0 : %s",
                       T({a, b, 2}).c_str(), T({2 * b, a}).c_str(),
                       T({2 * b, a}).c_str()));
         return c;
       }},
      {"transpose",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r), d = dim(r);
         Case c;
         c.text = fn("%x: " + T({a, b, d}), T({d, a, b}),
                     format("  %%0 = fg.transpose %%x {perm = array<i64: 2, 0, "
                            "1>} : %s -> %s\n"
                            "  return %%0 : %s",
                            T({a, b, d}).c_str(), T({d, a, b}).c_str(),
                            T({d, a, b}).c_str()));
         return c;
       }},
      {"concat",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r), d = dim(r);
         Case c;
         c.text = fn(
             "%x: " + T({a, b}) + ", %y: " + T({a, d}), T({a, b + d}),
             format("  %%0 = fg.concat %%x, %%y {axis = 1} : (%s, %s) -> %s\n"
                    "  return %%0 : %s",
                    T({a, b}).c_str(), T({a, d}).c_str(), T({a, b + d}).c_str(),
                    T({a, b + d}).c_str()));
         return c;
       }},
      {"slice_negative_step",
       [](auto &r) {
         int64_t a = dim(r, 4, 6);
         Case c;
         c.text = fn(
             "%x: " + T({a, a}), T({a, (a + 1) / 2}),
             format(
                 "  %%0 = fg.slice %%x {starts = array<i64: 0, %ld>, ends = "
                 "array<i64: %ld, -1>, steps = array<i64: 1, -2>} : %s -> %s\n"
                 "  return %%0 : %s",
                 a - 1, a, T({a, a}).c_str(), T({a, (a + 1) / 2}).c_str(),
                 T({a, (a + 1) / 2}).c_str()));
         return c;
       }},
      {"gather",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r);
         Case c;
         c.indexBound = b;
         c.text = fn(
             "%x: " + T({a, b}) + ", %i: " + T({3}, "i64"), T({a, 3}),
             format("  %%0 = fg.gather %%x[%%i] {axis = 1} : (%s, %s) -> %s\n"
                    "  return %%0 : %s",
                    T({a, b}).c_str(), T({3}, "i64").c_str(), T({a, 3}).c_str(),
                    T({a, 3}).c_str()));
         return c;
       }},
      {"cast_and_shape",
       [](auto &r) {
         int64_t a = dim(r);
         Case c;
         c.text = fn(
             "%x: " + T({a}), T({a}),
             format("  %%s = fg.shape %%x : %s -> %s\n"
                    "  %%f = fg.cast %%s : %s -> %s\n"
                    "  %%g = fg.reduce_sum %%f {axes = array<i64>, keepdims = "
                    "false} : %s -> %s\n"
                    "  %%y = fg.cast %%x : %s -> %s\n"
                    "  %%0 = fg.mul %%y, %%g : %s, %s -> %s\n  return %%0 : %s",
                    T({a}).c_str(), T({1}, "i64").c_str(),
                    T({1}, "i64").c_str(), T({1}).c_str(), T({1}).c_str(),
                    T({}).c_str(), T({a}).c_str(), T({a}).c_str(),
                    T({a}).c_str(), T({}).c_str(), T({a}).c_str(),
                    T({a}).c_str()));
         return c;
       }},
      {"broadcast_to",
       [](auto &r) {
         int64_t a = dim(r), b = dim(r);
         Case c;
         c.text = fn(
             "%x: " + T({1, b}), T({a, b}),
             format("  %%0 = fg.broadcast_to %%x : %s -> %s\n  return %%0 : %s",
                    T({1, b}).c_str(), T({a, b}).c_str(), T({a, b}).c_str()));
         return c;
       }},
      {"compare",
       [](auto &r) {
         int64_t a = dim(r);
         Case c;
         c.text =
             fn("%x: " + T({a}) + ", %y: " + T({a}), T({a}),
                format("  %%0 = fg.compare \"gt\", %%x, %%y : %s, %s -> %s\n"
                       "  return %%0 : %s",
                       T({a}).c_str(), T({a}).c_str(), T({a}).c_str(),
                       T({a}).c_str()));
         return c;
       }},
      {"max_pool_jvp",
       [](auto &r) {
         int64_t h = dim(r, 4, 6);
         std::string x = T({2, 2, h, h}), y = T({2, 2, h - 1, h - 1});
         Case c;
         c.text = fn(
             "%x: " + x + ", %t: " + x, y,
             format(
                 "  %%0 = fg.max_pool_jvp %%x, %%t {kernel_shape = array<i64: "
                 "2, 2>, "
                 "strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, "
                 "dilations = array<i64: 1, 1>} : (%s, %s) -> %s\n  return %%0 "
                 ": %s",
                 x.c_str(), x.c_str(), y.c_str(), y.c_str()));
         return c;
       }},
  };
  return all;
}

/// Calls `fn` on `inputs` (in signature order) and returns the outputs.
inline std::vector<Tensor> call(rt::PackedFunction fn,
                                const FunctionSignature &sig,
                                std::vector<Tensor> &inputs) {
  std::vector<Tensor> outputs;
  outputs.reserve(sig.args.size());
  std::vector<Tensor *> args;
  size_t next = 0;
  for (const ArgSpec &a : sig.args) {
    if (a.kind == ArgSpec::Kind::Output) {
      outputs.emplace_back(a.dtype, a.shape);
      args.push_back(&outputs.back());
    } else {
      args.push_back(&inputs[next++]);
    }
  }
  rt::callPacked(fn, args);
  return outputs;
}

/// Draws a case's inputs for `sig` (f64: standard normal, or uniform in
/// [0.5, 2] for positive cases; i64: uniform in [-indexBound, indexBound))
/// and one standard-normal direction per f64 input.
inline void drawInputs(const FunctionSignature &sig, const Case &c,
                       std::mt19937 &rng, std::vector<Tensor> &inputs,
                       std::vector<Tensor> &directions) {
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> pos(0.5, 2);
  std::uniform_int_distribution<int64_t> index(-c.indexBound, c.indexBound - 1);
  for (const ArgSpec &a : sig.args) {
    if (a.kind == ArgSpec::Kind::Output)
      continue;
    Tensor t(a.dtype, a.shape);
    for (int64_t i = 0; i < t.numElements(); ++i) {
      if (a.dtype == DType::I64)
        t.data<int64_t>()[i] = index(rng);
      else
        t.data<double>()[i] = c.positive ? pos(rng) : normal(rng);
    }
    if (a.dtype == DType::F64) {
      Tensor v(a.dtype, a.shape);
      for (int64_t i = 0; i < v.numElements(); ++i)
        v.data<double>()[i] = normal(rng);
      directions.push_back(std::move(v));
    }
    inputs.push_back(std::move(t));
  }
}

inline double norm(const Tensor &t) {
  double s = 0;
  for (int64_t i = 0; i < t.numElements(); ++i)
    s += t.data<double>()[i] * t.data<double>()[i];
  return std::sqrt(s);
}

/// A one-op module compiled with its JVP (K directions) and, on request,
/// its VJP.
struct Compiled {
  std::unique_ptr<JitModule> jit;
  rt::PackedFunction primal = nullptr, jvp = nullptr, vjp = nullptr;
  FunctionSignature primalSig, jvpSig, vjpSig;
};

inline bool compile(mlir::MLIRContext &ctx, const std::string &text, int64_t k,
                    bool withVjp, Compiled &out, std::string &error) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  if (!module) {
    error = "parse error";
    return false;
  }
  if (mlir::failed(runJvp(*module, "forward", {}, k, error)) ||
      (withVjp && mlir::failed(runVjp(*module, "forward", {}, error))))
    return false;
  auto sig = driver::lowerToLinalg(*module, "forward", error);
  if (mlir::failed(sig))
    return false;
  out.primalSig = *sig;
  auto jsig = getSignature(*module, "forward_jvp", error);
  if (mlir::failed(jsig))
    return false;
  out.jvpSig = *jsig;
  if (withVjp) {
    auto vsig = getSignature(*module, "forward_vjp", error);
    if (mlir::failed(vsig))
      return false;
    out.vjpSig = *vsig;
  }
  out.jit = driver::lowerAndJit(*module, CodegenOptions(), error);
  if (!out.jit)
    return false;
  out.primal = out.jit->lookup("forward", error);
  out.jvp = out.jit->lookup("forward_jvp", error);
  if (withVjp)
    out.vjp = out.jit->lookup("forward_vjp", error);
  return out.primal && out.jvp && (!withVjp || out.vjp);
}

inline Tensor copyOf(const Tensor &t) {
  Tensor c(t.dtype(), t.shape());
  if (t.byteSize())
    std::memcpy(c.data(), t.data(), t.byteSize());
  return c;
}

inline double dot(const Tensor &a, const Tensor &b) {
  double s = 0;
  for (int64_t i = 0; i < a.numElements(); ++i)
    s += a.data<double>()[i] * b.data<double>()[i];
  return s;
}

/// Copies of `inputs` with `delta` times the next direction added to each
/// f64 input (the points of a central difference).
inline std::vector<Tensor> shifted(const std::vector<Tensor> &inputs,
                                   const std::vector<Tensor> &directions,
                                   double delta) {
  std::vector<Tensor> in;
  size_t t = 0;
  for (const Tensor &x : inputs) {
    in.push_back(copyOf(x));
    if (x.dtype() == DType::F64) {
      for (int64_t i = 0; i < x.numElements(); ++i)
        in.back().data<double>()[i] += delta * directions[t].data<double>()[i];
      ++t;
    }
  }
  return in;
}

} // namespace fgc::testing

#endif // FGC_TEST_UNIT_OPCASES_H
