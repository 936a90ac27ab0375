// The C API of oneDNN (libdnnl), exposed to Swift as the module CDNNL, and the one OpenMP call
// it needs: Debian's oneDNN runs its kernels on OpenMP threads, and each thread that calls it
// sets one (the project splits work between cores itself).
#include <dnnl.h>
void omp_set_num_threads(int);

/// DNNL_MEMORY_ALLOCATE, a macro Swift cannot import: memory the library allocates itself.
static inline void *dnnl_memory_allocate_marker(void) { return DNNL_MEMORY_ALLOCATE; }
