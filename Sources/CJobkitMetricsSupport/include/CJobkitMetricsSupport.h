#ifndef CJOBKITMETRICSSUPPORT_H
#define CJOBKITMETRICSSUPPORT_H

/// The calling thread's histogram stripe slot plus one (0 until the thread is given one).
///
/// Swift has no thread-local variables; this one is read by an inline function, which compiles to a
/// single load relative to the thread pointer (initial-exec model), far cheaper than pthread_getspecific.
extern __thread long cjm_thread_stripe_slot __attribute__((tls_model("initial-exec")));

static inline long cjm_get_thread_stripe_slot(void) { return cjm_thread_stripe_slot; }
static inline void cjm_set_thread_stripe_slot(long slot) { cjm_thread_stripe_slot = slot; }

#endif
