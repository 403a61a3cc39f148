//===- OnnxEinsum.cpp - Einsum as transposes, reductions and matmuls ------===//
//
// An Einsum equation (explicit or implicit output, ellipses broadcast as
// NumPy does) becomes:
// 1. per operand, diagonals of repeated labels (times an identity mask,
//    summed over the second axis);
// 2. operands combined left to right: labels no later term needs are summed
//    out first, then the pair is one batched fg.matmul of
//    [batch, left, contracted] and [batch, contracted, right];
// 3. the labels the output lacks summed out, the rest transposed into its
//    order.
// Every step is an fg op with both derivative rules.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::shapeOf;
using fg::typeOf;

namespace {

/// Labels are letters; the ellipsis's dimensions get ids from 256 on,
/// right-aligned across operands.
using Labels = SmallVector<int>;
constexpr int kEllipsisBase = 256;

struct Term {
  Value value;
  Labels labels;
};

/// Parses one term of the equation ("ab...c") into labels, the ellipsis as
/// a -1 placeholder (expand() replaces it). For an operand of rank `rank`
/// sets `ellipsisDims` to the dimensions its ellipsis stands for; the
/// output (rank -1) has no rank to check.
FailureOr<Labels> parseTerm(NodeContext &nc, StringRef text, int64_t rank,
                            int64_t &ellipsisDims) {
  Labels labels;
  bool ellipsis = false;
  size_t letters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (ellipsis || !text.substr(i).starts_with("..."))
        return nc.fail("malformed ellipsis in equation term '" + text + "'");
      ellipsis = true;
      labels.push_back(-1);
      i += 2;
    } else if (llvm::isAlpha(c)) {
      labels.push_back(c);
      ++letters;
    } else {
      return nc.fail("unexpected character '" + Twine(c) +
                     "' in equation term '" + text + "'");
    }
  }
  if (rank < 0)
    return labels;
  int64_t extra = rank - static_cast<int64_t>(letters);
  if (extra < 0 || (!ellipsis && extra != 0))
    return nc.fail("equation term '" + text + "' has " + Twine(letters) +
                   " labels for an operand of rank " + Twine(rank));
  ellipsisDims = extra;
  return labels;
}

/// Replaces the placeholder by the last `dims` of `total` ellipsis ids.
Labels expand(const Labels &labels, int64_t dims, int64_t total) {
  Labels out;
  for (int l : labels) {
    if (l != -1) {
      out.push_back(l);
      continue;
    }
    for (int64_t d = total - dims; d < total; ++d)
      out.push_back(kEllipsisBase + static_cast<int>(d));
  }
  return out;
}

/// Sums `t` over the axes whose labels `keep` rejects.
Term sumOut(OpBuilder &b, Location loc, Term t,
            llvm::function_ref<bool(int)> keep) {
  SmallVector<int64_t> axes;
  Labels rest;
  for (auto [i, l] : llvm::enumerate(t.labels)) {
    if (keep(l))
      rest.push_back(l);
    else
      axes.push_back(i);
  }
  if (axes.empty())
    return t;
  return {fg::reduceSum(b, loc, t.value, axes, false), rest};
}

/// Takes the diagonal of every label repeated within `t`.
Term diagonals(NodeContext &nc, Term t) {
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  for (size_t i = 0; i < t.labels.size(); ++i)
    for (size_t j = i + 1; j < t.labels.size(); ++j) {
      if (t.labels[i] != t.labels[j])
        continue;
      int64_t n = shapeOf(t.value)[i];
      SmallVector<int64_t> shape(t.labels.size(), 1);
      shape[i] = shape[j] = n;
      SmallVector<double> eye;
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < n; ++c)
          eye.push_back(r == c);
      Type elt = typeOf(t.value).getElementType();
      SmallVector<Attribute> attrs;
      for (double e : eye)
        attrs.push_back(FloatAttr::get(elt, e));
      Value mask = nc.constant(
          DenseElementsAttr::get(RankedTensorType::get(shape, elt), attrs));
      t.value = fg::reduceSum(b, loc, fg::MulOp::create(b, loc, t.value, mask),
                              {static_cast<int64_t>(j)}, false);
      t.labels.erase(t.labels.begin() + j);
      --j;
    }
  return t;
}

/// `t` transposed so that its labels read `order` (a permutation of them).
Value arrange(OpBuilder &b, Location loc, const Term &t, ArrayRef<int> order) {
  SmallVector<int64_t> perm;
  for (int l : order)
    perm.push_back(llvm::find(t.labels, l) - t.labels.begin());
  return fg::transpose(b, loc, t.value, perm);
}

} // namespace

LogicalResult onnximport::convertEinsum(NodeContext &nc) {
  if (!nc.attr("equation"))
    return nc.fail("attribute 'equation' is required");
  TRY(equationAttr, nc.attrString("equation", ""));
  std::string equation;
  for (char c : equationAttr)
    if (!llvm::isSpace(c))
      equation.push_back(c);
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> inputs;
  lhs.split(inputs, ',');
  if (static_cast<int>(inputs.size()) != nc.numInputs())
    return nc.fail("equation '" + eq + "' has " + Twine(inputs.size()) +
                   " operands but the node has " + Twine(nc.numInputs()) +
                   " inputs");
  SmallVector<Term> terms;
  SmallVector<int64_t> ellipsisDims;
  SmallVector<Labels> raw;
  int64_t totalEllipsis = 0;
  for (auto [i, text] : llvm::enumerate(inputs)) {
    TRY(v, nc.input(static_cast<int>(i)));
    if (!isa<FloatType>(typeOf(v).getElementType()))
      return nc.fail("operands must be floating-point tensors, got " +
                     str(typeOf(v)));
    int64_t dims = 0;
    TRY(labels, parseTerm(nc, text, typeOf(v).getRank(), dims));
    raw.push_back(labels);
    ellipsisDims.push_back(dims);
    totalEllipsis = std::max(totalEllipsis, dims);
    terms.push_back({v, {}});
  }
  // Label sizes: equal, or 1 broadcast to the other.
  llvm::DenseMap<int, int64_t> sizes;
  llvm::DenseMap<int, int> count;
  for (auto [t, labels, dims] : llvm::zip(terms, raw, ellipsisDims)) {
    t.labels = expand(labels, dims, totalEllipsis);
    for (auto [l, d] : llvm::zip(t.labels, shapeOf(t.value))) {
      int64_t &size = sizes[l];
      if (size > 1 && d > 1 && size != d)
        return nc.fail("label '" +
                       (l < kEllipsisBase ? Twine(char(l)) : Twine("...")) +
                       "' has sizes " + Twine(size) + " and " + Twine(d));
      size = std::max(size, d);
      ++count[l];
    }
  }
  Labels output;
  if (explicitOutput) {
    int64_t unused = 0;
    TRY(labels, parseTerm(nc, rhs, -1, unused));
    // The output's ellipsis stands for every broadcast dimension.
    output = expand(labels, totalEllipsis, totalEllipsis);
    for (auto [i, l] : llvm::enumerate(output)) {
      if (!sizes.count(l))
        return nc.fail("output label '" + Twine(char(l)) +
                       "' is in no operand");
      if (llvm::is_contained(ArrayRef(output).take_front(i), l))
        return nc.fail("output label '" + Twine(char(l)) + "' is repeated");
    }
  } else {
    for (int64_t d = 0; d < totalEllipsis; ++d)
      output.push_back(kEllipsisBase + static_cast<int>(d));
    for (int c = 0; c < kEllipsisBase; ++c)
      if (count.lookup(c) == 1)
        output.push_back(c);
  }
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  auto broadcastLabels = [&](Term &t, llvm::function_ref<bool(int)> which) {
    SmallVector<int64_t> shape(shapeOf(t.value));
    for (auto [i, l] : llvm::enumerate(t.labels))
      if (which(l))
        shape[i] = sizes[l];
    t.value = fg::broadcastTo(b, loc, t.value, shape);
  };
  for (Term &t : terms)
    t = diagonals(nc, t);
  Term acc = terms.front();
  for (size_t k = 1; k < terms.size(); ++k) {
    Term other = terms[k];
    // Labels the output or a later operand still needs.
    llvm::DenseSet<int> needed(output.begin(), output.end());
    for (size_t j = k + 1; j < terms.size(); ++j)
      needed.insert(terms[j].labels.begin(), terms[j].labels.end());
    auto in = [](const Term &t, int l) {
      return llvm::is_contained(t.labels, l);
    };
    acc = sumOut(b, loc, acc,
                 [&](int l) { return needed.count(l) || in(other, l); });
    other = sumOut(b, loc, other,
                   [&](int l) { return needed.count(l) || in(acc, l); });
    Labels batch, left, contracted, right;
    for (int l : acc.labels)
      (in(other, l) ? (needed.count(l) ? batch : contracted) : left)
          .push_back(l);
    for (int l : other.labels)
      if (!in(acc, l))
        right.push_back(l);
    auto shared = [&](int l) { return in(acc, l) && in(other, l); };
    broadcastLabels(acc, shared);
    broadcastLabels(other, shared);
    auto product = [&](ArrayRef<int> ls) {
      int64_t p = 1;
      for (int l : ls)
        p *= sizes[l];
      return p;
    };
    int64_t nb = product(batch), nl = product(left), nk = product(contracted),
            nr = product(right);
    Labels orderA(batch), orderB(batch);
    orderA.append(left);
    orderA.append(contracted);
    orderB.append(contracted);
    orderB.append(right);
    Value a = fg::reshape(b, loc, arrange(b, loc, acc, orderA), {nb, nl, nk});
    Value c = fg::reshape(b, loc, arrange(b, loc, other, orderB), {nb, nk, nr});
    Value prod = fg::MatMulOp::create(b, loc, a, c);
    Labels labels(batch);
    labels.append(left);
    labels.append(right);
    SmallVector<int64_t> shape;
    for (int l : labels)
      shape.push_back(sizes[l]);
    acc = {fg::reshape(b, loc, prod, shape), labels};
  }
  acc =
      sumOut(b, loc, acc, [&](int l) { return llvm::is_contained(output, l); });
  return setResult(nc, arrange(b, loc, acc, output));
}
