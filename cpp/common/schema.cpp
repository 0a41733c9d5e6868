#include "common/schema.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"

namespace subquad {

namespace {

std::string join(const std::vector<std::string>& names, const char* sep = ", ") {
  std::string out;
  for (const auto& s : names) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e18) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  return detail::to_text(v);
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

// 'yes' quoted, 13 not: "causal: got 'yes'", "degree: got 13".
std::string shown(const std::string& value) {
  double v = 0;
  return parse_number(value, &v) ? value : "'" + value + "'";
}

bool is_named(const OptionSpec& spec, const std::string& value) {
  for (const auto& v : spec.values)
    if (v == value) return true;
  return false;
}

std::string range_text(const OptionSpec& s) {
  return (s.min_exclusive ? "(" : "[") + number_text(s.min) + ", " + number_text(s.max) + "]";
}

}  // namespace

const char* option_type_name(OptionType t) {
  switch (t) {
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::boolean: return "boolean";
    case OptionType::choice: return "enum";
  }
  return "?";
}

void check_option(const OptionSpec& s, const std::string& value) {
  switch (s.type) {
    case OptionType::boolean:
      if (value != "1" && value != "0" && value != "true" && value != "false")
        throw Error(s.name, "got '" + value + "', must be true or false");
      return;
    case OptionType::choice:
      if (!is_named(s, value))
        throw Error(s.name, "got '" + value + "', must be one of " + join(s.values));
      return;
    case OptionType::integer: {
      double v = 0;
      if (!parse_number(value, &v) || v != std::floor(v) || !(v >= s.min && v <= s.max))
        throw Error(s.name, "got " + shown(value) + ", must be an integer in " + range_text(s));
      return;
    }
    case OptionType::number: {
      if (is_named(s, value)) return;
      double v = 0;
      if (!parse_number(value, &v) || !std::isfinite(v) || !(s.min_exclusive ? v > s.min : v >= s.min) ||
          !(v <= s.max)) {
        std::string alt;
        for (const auto& n : s.values) alt += n + ", ";
        throw Error(s.name, "got " + shown(value) + ", must be " + alt + "a number in " + range_text(s));
      }
      return;
    }
  }
}

std::vector<std::string> option_list(const char* names) {
  std::vector<std::string> out;
  std::string w;
  for (const char* c = names;; ++c) {
    if (*c == ' ' || *c == '\0') {
      if (!w.empty()) out.push_back(w);
      w.clear();
      if (*c == '\0') break;
    } else {
      w += *c;
    }
  }
  return out;
}

bool OptionValues::takes(const std::string& name) const {
  for (const OptionSpec* s : specs_)
    if (s->name == name) return true;
  return false;
}

bool takes_option(const Family& family, const std::string& method, const std::string& option) {
  for (const auto& o : family.method(method).options)
    if (o == option) return true;
  return false;
}

const MethodSpec& Family::method(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return m;
  std::vector<std::string> known;
  for (const auto& m : methods) known.push_back(m.name);
  throw Error("method", "unknown " + this->name + " method '" + name + "', known: " + join(known));
}

const OptionSpec& Family::option(const std::string& name) const {
  for (const auto& o : options)
    if (o.name == name) return o;
  throw Error("option", "the " + this->name + " family has no option '" + name + "'");
}

const DimSpec& Family::dim(const std::string& name) const {
  for (const auto& d : dims)
    if (d.name == name) return d;
  throw Error("dims", "the " + this->name + " family has no dimension '" + name + "'");
}

const std::vector<InputSpec>& Family::inputs_of(const MethodSpec& m) const {
  return m.inputs.empty() ? inputs : m.inputs;
}

OptionValues::OptionValues(const Family& family, const std::string& method, const Options& given)
    : owner_(), method_(&family.method(method)), given_(given) {
  owner_ = method_->name;
  for (const auto& name : method_->options) specs_.push_back(&family.option(name));
  for (const auto& [key, value] : given.values()) {
    bool known = false;
    for (const auto& name : method_->options) known = known || name == key;
    if (!known) {
      const std::string list = method_->options.empty() ? "it takes none" : "options are " + join(method_->options);
      throw Error(key, "unknown option for " + method_->name + "; " + list);
    }
    check_option(family.option(key), value);
  }
}

OptionValues::OptionValues(const std::string& owner, const std::vector<OptionSpec>& specs, const Options& given)
    : owner_(owner), given_(given) {
  std::vector<std::string> names;
  for (const auto& s : specs) {
    specs_.push_back(&s);
    names.push_back(s.name);
  }
  for (const auto& [key, value] : given.values()) {
    const OptionSpec* found = nullptr;
    for (const auto& s : specs)
      if (s.name == key) found = &s;
    if (!found) throw Error(key, "unknown option for " + owner + "; options are " + join(names));
    check_option(*found, value);
  }
}

const OptionSpec& OptionValues::spec(const std::string& name) const {
  for (const OptionSpec* s : specs_)
    if (s->name == name) return *s;
  // A programming error (the code reads an option its schema does not
  // declare): say so rather than return a default silently.
  throw Error(name, "is not an option of " + owner_ + " (schema and code disagree)");
}

bool OptionValues::given(const std::string& name) const {
  spec(name);
  return given_.has(name);
}

std::string OptionValues::text(const std::string& name) const {
  return given_.str(name, spec(name).fallback);
}

long long OptionValues::integer(const std::string& name) const {
  return static_cast<long long>(std::strtod(text(name).c_str(), nullptr));
}

double OptionValues::number(const std::string& name) const {
  const OptionSpec& s = spec(name);
  const std::string t = given_.str(name, s.fallback);
  if (is_named(s, t)) return NAN;
  return std::strtod(t.c_str(), nullptr);
}

bool OptionValues::boolean(const std::string& name) const {
  const std::string t = text(name);
  return t == "1" || t == "true";
}

Dims check_dims(const Family& f, const Dims& dims, const std::map<std::string, std::string>& optional) {
  for (const auto& [name, value] : dims) {
    bool known = false;
    for (const auto& d : f.dims) known = known || d.name == name;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& d : f.dims) names.push_back(d.name);
      throw Error(name, "unknown dimension for " + f.name + "; dimensions are " + join(names));
    }
  }
  Dims out = dims;
  for (const auto& d : f.dims) {
    auto it = out.find(d.name);
    if (it == out.end()) {
      auto fb = optional.find(d.name);
      if (fb == optional.end()) continue;  // the caller decides whether it is needed
      auto from = out.find(fb->second);
      if (from == out.end()) continue;
      out[d.name] = from->second;
      continue;
    }
    const double v = it->second;
    if (!(v >= d.min && v <= d.max) || v != std::floor(v))
      throw Error(d.name, "got " + detail::to_text(v) + ", must be an integer in [" + number_text(d.min) + ", " +
                              number_text(d.max) + "]");
  }
  return out;
}

std::size_t dim_of(const Dims& dims, const std::string& name) {
  auto it = dims.find(name);
  if (it == dims.end()) throw Error(name, "missing (a dimension of this call)");
  return static_cast<std::size_t>(it->second);
}

const Suite& suite(const std::string& name) {
  std::vector<std::string> known;
  for (const Suite& s : suites()) {
    if (s.name == name) return s;
    known.push_back(s.name);
  }
  throw Error("suite", "got '" + name + "', must be one of " + join(known));
}

OptionValues suite_values(const std::string& name, const Options& request) {
  const Suite& s = suite(name);
  if (s.family.empty()) return OptionValues("the " + name + " suite", s.options, request);
  Options own;
  for (const auto& [key, value] : request.values())
    for (const auto& spec : s.options)
      if (spec.name == key) own.set(key, value);
  return OptionValues("the " + name + " suite", s.options, own);
}

const Family& family(const std::string& name) {
  std::vector<std::string> known;
  for (const Family* f : families()) {
    if (f->name == name) return *f;
    known.push_back(f->name);
  }
  throw Error("family", "unknown family '" + name + "', known: " + join(known));
}

namespace {

// A small JSON writer for nested objects (common/json.hpp writes flat lines).
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string value_json(const OptionSpec& s, const std::string& text) {
  if (s.type == OptionType::boolean) return text == "1" || text == "true" ? "true" : "false";
  if (s.type == OptionType::choice || is_named(s, text)) return quote(text);
  return text;
}

std::string inputs_json(const std::vector<InputSpec>& inputs) {
  std::string out = "[";
  for (const auto& in : inputs)
    out += (out.size() > 1 ? "," : "") + std::string("{\"name\":") + quote(in.name) + ",\"shape\":" + quote(in.shape) +
           "}";
  return out + "]";
}

std::string option_json(const OptionSpec& s) {
  std::string out = "{\"type\":" + quote(option_type_name(s.type)) + ",\"default\":" + value_json(s, s.fallback);
  if (s.type == OptionType::integer || s.type == OptionType::number) {
    out += ",\"min\":" + number_text(s.min) + ",\"max\":" + number_text(s.max);
    if (s.min_exclusive) out += ",\"minExclusive\":true";
  }
  if (!s.values.empty()) {
    out += s.type == OptionType::choice ? ",\"values\":[" : ",\"names\":[";
    for (std::size_t k = 0; k < s.values.size(); ++k) out += (k ? "," : "") + quote(s.values[k]);
    out += "]";
  }
  return out + ",\"doc\":" + quote(s.doc) + "}";
}

}  // namespace

std::string options_json(const std::vector<OptionSpec>& specs) {
  std::string out = "{";
  for (std::size_t o = 0; o < specs.size(); ++o) out += (o ? "," : "") + quote(specs[o].name) + ":" + option_json(specs[o]);
  return out + "}";
}

std::string schema_json() {
  std::string out = "{\"families\":{";
  bool first_family = true;
  for (const Family* f : families()) {
    out += (first_family ? "" : ",") + quote(f->name) + ":{";
    first_family = false;
    out += "\"summary\":" + quote(f->summary) + ",\"paper\":" + quote(f->paper) + ",\"dims\":{";
    for (std::size_t k = 0; k < f->dims.size(); ++k) {
      const DimSpec& d = f->dims[k];
      out += (k ? "," : "") + quote(d.name) + ":{\"min\":" + number_text(d.min) + ",\"max\":" + number_text(d.max) +
             ",\"doc\":" + quote(d.doc) + "}";
    }
    out += "},\"methods\":{";
    for (std::size_t k = 0; k < f->methods.size(); ++k) {
      const MethodSpec& m = f->methods[k];
      out += (k ? "," : "") + quote(m.name) + ":{\"summary\":" + quote(m.summary) +
             ",\"paper\":" + quote(m.paper.empty() ? f->paper : m.paper) +
             ",\"exact\":" + (m.exact ? "true" : "false") + ",\"inputs\":" + inputs_json(f->inputs_of(m)) +
             ",\"options\":{";
      for (std::size_t o = 0; o < m.options.size(); ++o)
        out += (o ? "," : "") + quote(m.options[o]) + ":" + option_json(f->option(m.options[o]));
      out += "}}";
    }
    out += "}}";
  }
  out += "},\"suites\":{";
  for (std::size_t k = 0; k < suites().size(); ++k) {
    const Suite& s = suites()[k];
    out += (k ? "," : "") + quote(s.name) + ":{\"summary\":" + quote(s.summary) + ",\"family\":" + quote(s.family) +
           ",\"options\":" + options_json(s.options) + "}";
  }
  out += "},\"limits\":{";
  for (std::size_t k = 0; k < limits().size(); ++k) {
    const Limit& l = limits()[k];
    out += (k ? "," : "") + quote(l.name) + ":{\"type\":" + (l.integer ? "\"integer\"" : "\"number\"") +
           ",\"min\":" + number_text(l.min) + ",\"max\":" + number_text(l.max) +
           (l.min_exclusive ? ",\"minExclusive\":true" : "") + ",\"doc\":" + quote(l.doc) + "}";
  }
  return out + "}}";
}

}  // namespace subquad
