// libFuzzer's driver, called from each fuzz target's entry point (see Fuzz/README.md).
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
