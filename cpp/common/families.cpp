// Every family, in the order the page shows them: the one list a new family
// is added to (its registry's family() describes the rest).
#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/schema.hpp"
#include "experiments/construction.hpp"
#include "grad/grad.hpp"
#include "neurons/neurons.hpp"
#include "kernel/kernel.hpp"
#include "pairs/pairs.hpp"
#include "simulate/simulate.hpp"
#include "ssm/ssm.hpp"
#include "tensor/tensor.hpp"

namespace subquad {

const std::vector<const Family*>& families() {
  static const std::vector<const Family*> all = {&attention::family(), &ssm::family(), &pairs::family(),
                                                      &experiments::family(), &grad::family(),
                                                      &collapse::family(), &simulate::family(),
                                                      &neurons::family(), &tensor::family(), &kernel::family()};
  return all;
}

}  // namespace subquad
