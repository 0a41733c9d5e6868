// One shape for every family's registry: what a method takes (its input
// arrays, in terms of the family's dimensions, and its options, each with a
// type, default, limits and one line of doc) and what it costs. The parser
// reads options through this schema, so an unknown key or a wrong type is an
// error naming the key; sq.schema() exports the same tables as JSON, and the
// page builds its forms and limits from them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/options.hpp"

namespace subquad {

// What a method costs at a shape: the page estimates time from flops and the
// calibrated peak, and refuses what does not fit the memory budget.
struct Cost {
  double flops = 0;         // floating-point operations (an exp counts as 1)
  double bytes = 0;         // bytes it must read and write at least
  double memory_bytes = 0;  // extra memory it allocates beyond inputs and outputs
};

enum class OptionType { integer, number, boolean, choice };

struct OptionSpec {
  std::string name;
  OptionType type;
  std::string fallback;  // the default, as text ("4", "chebyshev", "false", "sqrt")
  double min = 0, max = 0;  // integer and number: inclusive limits
  // choice: the allowed values; number: names also accepted (scale: sqrt, inv_d).
  std::vector<std::string> values;
  std::string doc;
  bool min_exclusive = false;  // number: the range is (min, max]
};

struct DimSpec {
  std::string name;
  double min = 1, max = 1;  // inclusive, integers
  std::string doc;
};

struct InputSpec {
  std::string name;
  std::string shape;  // in the family's dimensions, e.g. "n_k×d"; "" for a scalar list
};

struct MethodSpec {
  std::string name, summary;
  bool exact = false;
  std::vector<std::string> options;  // names from the family's option table, in order
  std::vector<InputSpec> inputs;     // empty → the family's inputs
  std::string paper;                 // where the method comes from; empty → the family's paper
};

// Dimensions of one call: name → value ("n" → 4096, "d" → 64).
using Dims = std::map<std::string, double>;

struct Family {
  std::string name, summary, paper;
  std::vector<DimSpec> dims;
  std::vector<InputSpec> inputs;    // the arrays most methods take
  std::vector<OptionSpec> options;  // every option any method of the family takes
  std::vector<MethodSpec> methods;
  // The method's cost model at these dimensions with these options (checked
  // strictly, as a run would be).
  std::function<Cost(const std::string& method, const Dims&, const Options&)> cost;
  // Runs the method on seeded valid inputs of these dimensions (tests of the
  // cost model's memory, soak runs); throws Error on a refused call. `ready`
  // (may be empty) is called once inputs and outputs exist, just before the
  // method allocates what its cost model's memory_bytes counts.
  using Ready = std::function<void()>;
  std::function<void(const std::string& method, const Dims&, const Options&, const Ready& ready)> example;

  // The method's entry; Error("method", …) naming the family's methods otherwise.
  const MethodSpec& method(const std::string& name) const;
  const OptionSpec& option(const std::string& name) const;
  const DimSpec& dim(const std::string& name) const;
  const std::vector<InputSpec>& inputs_of(const MethodSpec& m) const;
};

// Options checked against one method's schema. Construction refuses a key
// the method does not take ("windw: unknown option for window; options are
// window, scale, causal, threads") and a value of the wrong type or out of
// range; the getters return the given value or the schema's default.
class OptionValues {
 public:
  OptionValues(const Family& family, const std::string& method, const Options& given);
  // The same over a plain list of specs (a bench suite's own keys): `owner`
  // names it in errors ("the attention suite").
  OptionValues(const std::string& owner, const std::vector<OptionSpec>& specs, const Options& given);

  long long integer(const std::string& name) const;
  double number(const std::string& name) const;  // a named value → NaN (see text)
  bool boolean(const std::string& name) const;
  std::string text(const std::string& name) const;  // as given, or the default
  bool given(const std::string& name) const;
  bool takes(const std::string& name) const;  // the option is one of this method's (or suite's)
  const MethodSpec& method() const { return *method_; }

 private:
  const OptionSpec& spec(const std::string& name) const;
  std::string owner_;
  std::vector<const OptionSpec*> specs_;
  const MethodSpec* method_ = nullptr;
  Options given_;
};

// A bench suite (npm run bench -- <suite>, sq.measure): its own keys — shape,
// data distribution, repetitions — with the same kind of specs as a method's
// options. A request's other keys go to the method it names (`family`), whose
// parser refuses what it does not take; a suite without a family refuses
// every key not its own. Defined with the suites in cpp/bench/suites.cpp.
struct Suite {
  std::string name, summary;
  std::string family;  // "" → the suite runs no registry method
  std::vector<OptionSpec> options;
};
const std::vector<Suite>& suites();
const Suite& suite(const std::string& name);  // Error("suite", …) listing the suites
// The suite's own keys of a request, checked against its specs (strictly —
// unknown keys refused — when the suite has no family).
OptionValues suite_values(const std::string& suite, const Options& request);

// "scale causal threads" → {"scale", "causal", "threads"}: a registry entry's
// option names, written as one string in its table.
std::vector<std::string> option_list(const char* names);

// Whether `method` of `family` takes `option` (Error when the method is unknown).
bool takes_option(const Family& family, const std::string& method, const std::string& option);

// Checks one value against its spec; Error(name, …) when it does not fit.
void check_option(const OptionSpec& spec, const std::string& value);

// Each dimension present must be an integer within its limits; every
// dimension the family lists must be present unless it has a fallback in
// `optional` (e.g. n_k → n). Error names the dimension and its range.
Dims check_dims(const Family& family, const Dims& dims,
                const std::map<std::string, std::string>& optional = {});

// A dimension from dims as a size_t (checked by check_dims first).
std::size_t dim_of(const Dims& dims, const std::string& name);

// The list of every family, in the order the page shows them; a new family
// adds one line to cpp/common/families.cpp.
const std::vector<const Family*>& families();
const Family& family(const std::string& name);

// { "families": { name: { summary, paper, dims, inputs, methods: { name:
// { summary, exact, inputs, options: { name: { type, default, min, max,
// values, doc } } } } } } }, "suites": { name: { summary, family, options } },
// "limits": { name: { min, max, doc } } } — what sq.schema() returns.
std::string schema_json();

const char* option_type_name(OptionType t);

// Limits of calls outside the registries (the documents' tokenizer):
// exported with the schema so the page offers exactly what the library takes.
struct Limit {
  std::string name;
  double min = 0, max = 0;
  std::string doc;
  bool integer = true;         // false: any number in the range
  bool min_exclusive = false;  // the range is (min, max]
};
const std::vector<Limit>& limits();

}  // namespace subquad
