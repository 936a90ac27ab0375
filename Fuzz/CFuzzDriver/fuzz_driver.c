// Empty: the target exists for its header (libFuzzer itself comes with -sanitize=fuzzer).
#include "fuzz_driver.h"
