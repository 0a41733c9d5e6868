// Every panel of the page, once: the home view's cards, the navigation and
// the labels of queued runs are all made from this list. A new family adds
// one entry here (and its panel module); groups without a panel are not shown.
// Pure data, no DOM (tests/node/catalog.test.mjs checks it).

/** The questions the results answer, in the order the home view shows them. */
export const GROUPS = [
  { group: 'forward', title: 'Forward pass', question: 'How fast can one attention layer be computed?' },
  { group: 'training', title: 'Training', question: 'How fast can attention be trained?' },
  { group: 'depth', title: 'Depth and weights', question: 'Does a deep network with small weights need its depth?' },
  { group: 'alternatives', title: 'Alternatives', question: 'Can a faster architecture do what attention does?' },
  { group: 'similarity', title: 'Similarity and kernels', question: 'How fast can the most similar pair be found?' },
  { group: 'environment', title: 'Environment', question: 'What does this machine give the lab?' },
];

const ALMAN_SONG = { authors: 'Alman & Song', title: 'Fast Attention Requires Bounded Entries', arxiv: '2302.13214' };
const ALMAN_YU = { authors: 'Alman & Yu', title: 'Fundamental Limitations on Subquadratic Alternatives to Transformers', arxiv: '2410.04271' };
const ALMAN_SONG_ROPE = { authors: 'Alman & Song', title: 'Fast RoPE Attention: Combining the Polynomial Method and Fast Fourier Transform', arxiv: '2505.11892' };
const ALMAN_SONG_GRAD = { authors: 'Alman & Song', title: 'The Fine-Grained Complexity of Gradient Computation for Training Large Language Models', arxiv: '2402.04497' };
const ALMAN_SONG_COLLAPSE = { authors: 'Alman & Song', title: 'Only Large Weights (And Not Skip Connections) Can Prevent the Perils of Rank Collapse', arxiv: '2505.16284' };
const YU_ALMAN = { authors: 'Yu & Alman', title: 'Two Heads Are Better than One: Simulating Large Transformers with Small Ones', arxiv: '2506.12220' };
const ALSZZ = { authors: 'Alman, Liang, Song, Zhang & Zhuo', title: 'Bypass Exponential Time Preprocessing: Fast Neural Network Training via Weight-Data Correlation Preprocessing', arxiv: '2211.14227' };
const ALMAN_SONG_TENSOR = { authors: 'Alman & Song', title: 'How to Capture Higher-order Correlations? Generalizing Matrix Softmax Attention to Kronecker Computation', arxiv: '2310.04064' };
const ACSS = { authors: 'Alman, Chu, Schild & Song', title: 'Algorithms and Hardness for Linear Algebra on Geometric Graphs', arxiv: '2011.02466' };
const GU_DAO = { authors: 'Gu & Dao', title: 'Mamba: Linear-Time Sequence Modeling with Selective State Spaces', arxiv: '2312.00752' };

/**
 * { panel, group, title, theorem, regime, paper }: `panel` is the ?panel= value
 * and the section's data-panel; `theorem` one sentence; `regime` where the
 * panel measures it; `paper` null when the panel states no theorem. In
 * `theorem` and `regime`, $…$ is TeX (rendered by KaTeX; shown as is without it).
 */
export const PANELS = [
  {
    panel: 'attention', group: 'forward', title: 'Attention',
    theorem: 'With head dimension $d = O(\\log n)$, softmax attention has an $n^{1+o(1)}$ algorithm when entries are bounded by $B = o(\\sqrt{\\log n})$, and none in $n^{2-\\Omega(1)}$ when $B = \\Theta(\\sqrt{\\log n})$, unless SETH fails.',
    regime: 'Time vs n for exact, fused and subquadratic methods; error vs B at a fixed degree; the degree a fixed error needs as B grows, across $B = \\sqrt{\\ln n}$.',
    paper: ALMAN_SONG,
  },
  {
    panel: 'rope', group: 'forward', title: 'RoPE attention',
    theorem: 'RoPE attention is ordinary attention on rotated $Q$ and $K$ with unchanged row norms, so the polynomial method keeps its $n^{1+o(1)}$ time when $B = o(\\sqrt{\\log n})$, while position matrices $W_{i-j}$ that do not factor need the FFT: $\\binom{|S|+g}{g}$ Toeplitz products of $O(n \\log n)$ time each.',
    regime: 'Time vs n for rope_flash (exact), rope_polynomial (pre-rotation, then the polynomial method), and for random diagonal $W_\\Delta$ positional_exact (exact, tiled) against positional_fft (polynomial method + FFT), with the measured crossovers.',
    paper: ALMAN_SONG_ROPE,
  },
  {
    panel: 'tensor', group: 'forward', title: 'Tensor attention',
    theorem: 'With $d = O(\log n)$, tensor attention over key pairs $(j,k)$ costs $n^3$ naively, has an $n^{1+o(1)}$ algorithm when entries are $o(\\sqrt[3]{\\log n})$, and needs $n^{3-o(1)}$ time at $\\Theta(\\sqrt[3]{\\log n})$ unless SETH fails — a higher order buys expressiveness with a lower entry bound.',
    regime: 'Time vs n for the cubic exact kernel, 2-simplicial windows and the polynomial method (our reconstruction); its error vs B against matrix attention at equal rank on nonnegative inputs, with $\\sqrt[3]{\\ln n}$ and $\\sqrt{\\ln n}$ marked; Match3 accuracy vs n for one tensor layer and a matrix-attention baseline.',
    paper: ALMAN_SONG_TENSOR,
  },
  {
    panel: 'grad', group: 'training', title: 'Attention gradients',
    theorem: 'The backward pass of attention has the forward pass\'s dichotomy: with $d = O(\\log n)$ the gradient takes $n^{1+o(1)}$ time when entries are $o(\\sqrt{\\log n})$, and no $n^{2-\\Omega(1)}$ algorithm exists at $\\Theta(\\sqrt{\\log n})$ unless SETH fails.',
    regime: 'Time vs n of the FlashAttention-2 backward and of the polynomial method\'s exact gradient, each beside the flash forward; the paper\'s own problem $dL/dX$ exact ($O(n^2 d)$) against almost linear ($O(n\\,r\\,d^2)$); a live training run where gradient descent pushes $\\|A_1X\\|_\\infty$ past $\\sqrt{\\ln n}$ and the polynomial gradient stops tracking the exact one.',
    paper: ALMAN_SONG_GRAD,
  },
  {
    panel: 'collapse', group: 'depth', title: 'Layer collapse',
    theorem: 'Claimed (the proofs were disputed by reviewers): a residual self-attention network whose weights are at most $\\eta$ is within $O(\\eta)\\|X\\|$ of a network with one layer, so expressive transformers need large weights, where attention needs quadratic time.',
    regime: 'An $L$-layer, $H$-head network with weights $\\eta\\,U[-1,1]$ against one layer holding all its heads, measured relative to its own deviation from identity as $\\eta$ grows past the point where the entries of $XW_Q, XW_K$ reach $\\sqrt{\\ln n}$; rank collapse with and without skips.',
    paper: ALMAN_SONG_COLLAPSE,
  },
  {
    panel: 'simulate', group: 'forward', title: 'Large from small',
    theorem: 'Attention over $N$ tokens is computed exactly by $O((N/M)^2)$ calls to an attention of length $M$, which cannot be improved in the worst case (each call costs $\\approx M^2$, attention needs $N^{2-o(1)}$ under SETH); $O(N/M)$ calls suffice for sliding windows, attention sinks and average-case inputs.',
    regime: 'One run at a time: the grid of oracle calls, calls made vs predicted, flops (constant $\\approx 4N^2 d$), float32 vs float64 for the synthetic-token normaliser; the sampled mode\'s error vs $M$ on bounded data and with one planted needle.',
    paper: YU_ALMAN,
  },
  {
    panel: 'neurons', group: 'training', title: 'Which neurons fire',
    theorem: 'With a shifted ReLU $\\max(z-b, 0)$ only the neurons with $\\langle w_r, x_i\\rangle > b$ fire; after $O(nmd)$ preprocessing, trees over the weight–data correlations find them each iteration in $o(nmd)$ time, and under SETH (via Max-IP) detecting firing neurons cannot be sped up substantially.',
    regime: 'Two-layer network, $w \\sim N(0, I)$, $\\|x\\| = 1$: measured firing fraction vs the Gaussian tail; per-step time of dense training vs per-point max-trees (query, forward/gradient, repair) across b; neurons moved per step, full batch vs mini-batch; loss curves at several b; a planted Max-IP pair.',
    paper: ALSZZ,
  },
  {
    panel: 'ssm', group: 'alternatives', title: 'SSM vs attention',
    theorem: 'A Mamba-style selective scan runs in $O(LDN)$ time with an $O(DN)$ state, against $O(L^2 D)$ for an attention block of the same width.',
    regime: 'Time vs sequence length L for both blocks, fitted slopes and the measured crossover.',
    paper: GU_DAO,
  },
  {
    panel: 'versus', group: 'alternatives', title: 'Attention vs subquadratic',
    theorem: 'Under SETH no truly subquadratic model finds the most similar pair of documents on every input, yet one attention layer does.',
    regime: 'Planted bichromatic Max-IP over 0/1 documents, $\\beta = c\\ln n$; instances solved vs n.',
    paper: ALMAN_YU,
  },
  {
    panel: 'pairs', group: 'similarity', title: 'Pair search',
    theorem: 'For $d = c\\log n$ no algorithm finds the most similar pair exactly in $n^{2-\\Omega(1)}$ time unless SETH fails, so fast hashing heuristics must miss on some inputs.',
    regime: 'Exact and hashing methods on planted and OV-hard instances; time and recall vs n and the correlation $\\rho$.',
    paper: ALMAN_YU,
  },
  {
    panel: 'documents', group: 'similarity', title: 'Documents',
    theorem: 'One attention layer with the diagonal masked finds the most (or least) similar pair of documents, comparing all pairs as any exact method must.',
    regime: 'Real e-mails or your own texts as 0/1 or TF-IDF vectors; exact, hashing or one attention layer.',
    paper: ALMAN_YU,
  },
  {
    panel: 'kernel', group: 'similarity', title: 'Kernel graphs',
    theorem: 'For the Gaussian kernel graph $A_{ij} = e^{-\\|x_i - x_j\\|^2/h^2}$ with $B = \\mathrm{diam}^2/h^2$, products with $A$ or its Laplacian and Laplacian solves take $n^{1+o(1)}$ time when $B = o(\\log n)$ and $n^{2-o(1)}$ time under SETH when $B = \\omega(\\log n)$; the fast multipole method\'s exponential cost in $d$ cannot be avoided.',
    regime: 'Time vs n of exact, polynomial and fgt products; the polynomial\'s rank and speed-up as B grows across $B = \\ln n$; fgt\'s cost vs d; labels of a 2-D cloud by Laplacian solves.',
    paper: ACSS,
  },
  {
    panel: 'environment', group: 'environment', title: 'Environment',
    theorem: 'Every speed on this page is read against this machine: its WebAssembly flavour, threads, timer and per-core SIMD ceiling.',
    regime: 'Your browser, now; calibration of the per-core multiply–add ceiling.',
    paper: null,
  },
];

/** The groups that have panels, each with its panels in list order. */
export function groupedPanels(panels = PANELS, groups = GROUPS) {
  return groups
    .map((g) => ({ ...g, panels: panels.filter((p) => p.group === g.group) }))
    .filter((g) => g.panels.length);
}

/** The catalog entry of a panel (undefined for 'home' or an unknown name). */
export function panelEntry(name, panels = PANELS) {
  return panels.find((p) => p.panel === name);
}
