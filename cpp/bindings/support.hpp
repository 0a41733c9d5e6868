// Shared by every bindings file: options from a JS object, and the guard that
// turns any C++ error into {error: message} (web/lib/subquad.js throws it as a
// JS Error), so no exception ever crosses into JS.
#pragma once

#include <emscripten/val.h>

#include <new>
#include <string>

#include "common/error.hpp"
#include "common/options.hpp"

namespace subquad::bindings {

using emscripten::val;

// Values arrive as strings (the wrapper stringifies them).
inline Options options_from(const val& object) {
  Options o;
  if (object.isUndefined() || object.isNull()) return o;
  const val keys = val::global("Object").call<val>("keys", object);
  const int count = keys["length"].as<int>();
  for (int i = 0; i < count; ++i) {
    const std::string key = keys[i].as<std::string>();
    o.set(key, object[key].as<std::string>());
  }
  return o;
}

inline val failure(const std::string& message) {
  val r = val::object();
  r.set("error", message);
  return r;
}

// The list a family exports as <family>Methods(): { name, summary, exact } per
// registry entry, plus what `extra(item, method)` adds (attention its
// reference, pairs whether it takes 0/1 vectors).
template <class Methods, class Extra>
val method_list(const Methods& methods, Extra extra) {
  val list = val::array();
  for (const auto& m : methods) {
    val item = val::object();
    item.set("name", std::string(m.name));
    item.set("summary", std::string(m.summary));
    item.set("exact", m.exact);
    extra(item, m);
    list.call<void>("push", item);
  }
  return list;
}

template <class Methods>
val method_list(const Methods& methods) {
  return method_list(methods, [](val&, const auto&) {});
}

// A family's cost model as { flops, bytes, memory_bytes } (any Cost struct
// with those three fields).
template <class Cost>
val cost_object(const Cost& c) {
  val r = val::object();
  r.set("flops", c.flops);
  r.set("bytes", c.bytes);
  r.set("memory_bytes", c.memory_bytes);
  return r;
}

template <class Fn>
val guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    return failure(e.what());
  } catch (const std::bad_alloc&) {
    return failure("memory: allocation failed (the WASM heap is full); try a smaller size");
  } catch (const std::exception& e) {
    return failure(e.what());
  } catch (...) {
    return failure("internal: unknown error");
  }
}

}  // namespace subquad::bindings
