#include "CJobkitMetricsSupport.h"

__thread long cjm_thread_stripe_slot __attribute__((tls_model("initial-exec"))) = 0;
