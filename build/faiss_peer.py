#!/usr/bin/python3
"""The pairs family's peer: native FAISS brute force on the same vectors as our gram.

    python3 build/faiss_peer.py --input X.f32 --n N --d D [--problem msd] [--threads 2]
        [--modes full,triangle] [--block 4096] [--min-ms 200]

X.f32 holds the n×d float32 rows (row-major) the bench generated with the library, so
both sides search the same instance. One JSON line per mode, then none else on stdout.

What each mode computes, timed from the rows in memory to the best pair (one untimed
run first unless one run is most of the budget, as cpp/common/timer.hpp does):
  full      IndexFlatIP: add the n rows, search all n as queries with k = 2 (the nearest
            other row is among the top two: one may be the row itself). FAISS computes
            all n² inner products (BLAS sgemm in 4096 × 1024 blocks + a top-k heap per
            query) — twice the n(n−1)/2 the problem needs, the way FAISS is used for it.
  triangle  faiss.knn (the same knn_inner_product, no index copy) of row block b against
            rows [b·block, n) only, k = 2: n²/2 + n·block/2 inner products, the upper
            triangle as our gram computes it, in FAISS's own kernel. FAISS at its best here.
Problems as pairs.hpp names them, mapped onto a maximum inner product: msd (cosine:
rows L2-normalised first, inside the timer), lsd (normalised, queries negated), maxip,
minip and ov (queries negated; ov is minip on 0/1 rows). The pair reported is the best
over all queries of the best non-self neighbour; value in the problem's own sign.
The BLAS in use: the library FAISS's sgemm_ resolves to, located in this process's memory map
after the searches, and OpenBLAS's own config string through ctypes (its core type, thread build).
"""
import argparse
import ctypes
import json
import os
import re
import sys
import time


def blas_in_use():
    """The BLAS FAISS calls: the library its sgemm_ resolves to (dlsym on FAISS's own module,
    which searches its dependencies in the order the loader binds them), found in this
    process's memory map; OpenBLAS's config string when that library answers to it."""
    maps, libs = [], []
    with open('/proc/self/maps') as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or not fields[5].startswith('/'):
                continue
            lo, hi = (int(x, 16) for x in fields[0].split('-'))
            maps.append((lo, hi, fields[5]))
            if re.search(r'(blas|mkl|blis)', os.path.basename(fields[5])) and fields[5] not in libs:
                libs.append(fields[5])
    provider = None
    faiss_so = next((p for _, _, p in maps if '_swigfaiss' in os.path.basename(p)), None)
    if faiss_so:
        try:
            addr = ctypes.cast(ctypes.CDLL(faiss_so).sgemm_, ctypes.c_void_p).value
            provider = next((p for lo, hi, p in maps if lo <= addr < hi), None)
        except (OSError, AttributeError):
            pass
    config = None
    if provider:
        try:
            fn = ctypes.CDLL(provider).openblas_get_config
            fn.restype = ctypes.c_char_p
            config = fn().decode()
        except (OSError, AttributeError):
            pass
    if config:
        name = config
    elif provider and ('/blas/' in provider or os.path.basename(provider).startswith('libblas')):
        name = 'reference BLAS (netlib)'
    else:
        name = os.path.basename(provider) if provider else 'unknown'
    return {'blas': name, 'sgemm_from': provider, 'blas_libraries': libs}


def best_pair(D, I, offset, sign):
    """Best non-self neighbour over queries offset..offset+len(D); I indexes rows from `offset`."""
    import numpy as np
    q = np.arange(D.shape[0])
    self0 = I[:, 0] == q
    j = np.where(self0, I[:, 1], I[:, 0])
    v = np.where(self0, D[:, 1], D[:, 0])
    v = np.where(j < 0, -np.inf, v)
    k = int(np.argmax(v))
    if not np.isfinite(v[k]):
        return None
    a, b = offset + k, offset + int(j[k])
    return (min(a, b), max(a, b), float(v[k]) * sign + 0.0)  # + 0.0: no −0 from the sign flip


def search(X, mode, problem, block):
    import faiss
    import numpy as np
    n, d = X.shape
    if problem in ('msd', 'lsd'):
        X = X.copy()
        faiss.normalize_L2(X)
    sign = 1.0 if problem in ('msd', 'maxip') else -1.0
    Q = X if sign > 0 else -X
    if mode == 'full':
        index = faiss.IndexFlatIP(d)
        index.add(X)
        D, I = index.search(Q, 2)
        return best_pair(D, I, 0, sign)
    best = None
    for b0 in range(0, n, block):
        b1 = min(n, b0 + block)
        if n - b0 < 2:
            break
        D, I = faiss.knn(Q[b0:b1], X[b0:], 2, faiss.METRIC_INNER_PRODUCT)
        r = best_pair(D, I, b0, sign)
        if r and (best is None or r[2] * sign > best[2] * sign):
            best = r
    return best


def timed(fn, min_ms):
    t0 = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - t0) * 1e3
    times = [first] if first >= min_ms / 2 else []
    need = 5 if first < 1000 else 1
    start = time.perf_counter()
    while len(times) < need or (time.perf_counter() - start) * 1e3 < min_ms:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return result, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--input', required=True)
    ap.add_argument('--n', type=int, required=True)
    ap.add_argument('--d', type=int, required=True)
    ap.add_argument('--problem', default='msd', choices=['msd', 'lsd', 'maxip', 'minip', 'ov'])
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--modes', default='full,triangle')
    ap.add_argument('--block', type=int, default=4096)
    ap.add_argument('--min-ms', type=float, default=200)
    a = ap.parse_args()
    import faiss
    import numpy as np
    X = np.fromfile(a.input, dtype=np.float32)
    if X.size != a.n * a.d:
        sys.exit(f'faiss_peer: {a.input} holds {X.size} floats, expected n·d = {a.n * a.d}')
    X = X.reshape(a.n, a.d)
    if a.threads > 0:
        faiss.omp_set_num_threads(a.threads)
    for mode in a.modes.split(','):
        if mode not in ('full', 'triangle'):
            sys.exit(f"faiss_peer: mode '{mode}' must be full or triangle")
        pair, times = timed(lambda: search(X, mode, a.problem, a.block), a.min_ms)
        m = len(times)
        line = {
            'suite': 'peers', 'method': 'faiss_flat_ip', 'mode': mode, 'problem': a.problem,
            'n': a.n, 'd': a.d, 'flavour': 'peer', 'threads': faiss.omp_get_max_threads(),
            'openblas_threads': os.environ.get('OPENBLAS_NUM_THREADS', 'default'),
            'median_ms': times[m // 2], 'min_ms': times[0], 'max_ms': times[-1], 'reps': m,
            'inner_products': a.n * a.n if mode == 'full' else None,
            'i': pair[0] if pair else -1, 'j': pair[1] if pair else -1, 'value': pair[2] if pair else None,
            'version': faiss.__version__, 'numpy': np.__version__, **blas_in_use(),
        }
        if mode == 'triangle':
            nb = -(-a.n // a.block)
            line['inner_products'] = sum(min(a.block, a.n - b * a.block) * (a.n - b * a.block) for b in range(nb))
            line['block'] = a.block
        print(json.dumps(line), flush=True)


if __name__ == '__main__':
    main()
