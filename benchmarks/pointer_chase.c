/* How long one load waits, against how much memory the loads range over: this machine's
 * cache levels as a program sees them (benchmarks/README.md, "2026-12-05, seventh").
 *
 * One dependent load per 64-byte line, the lines in a random cyclic order, 20 million
 * loads; the second argument 1 asks for transparent huge pages (MADV_HUGEPAGE), 0 for
 * 4 KiB pages.
 *
 *     cc -O2 -o /tmp/pointer_chase benchmarks/pointer_chase.c
 *     for mib in 1 2 4 6 8 12 16 32 64; do /tmp/pointer_chase $mib 0; done
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MIB HUGE(0|1)\n", argv[0]);
        return 2;
    }
    size_t bytes = (size_t)(atof(argv[1]) * 1048576), lines = bytes / 64;
    int huge = atoi(argv[2]);
    if (lines < 2) {
        fprintf(stderr, "%s: MIB must be at least 128 bytes' worth\n", argv[0]);
        return 2;
    }
    size_t align = 2 << 20;  /* huge pages need 2 MiB alignment */
    char *raw = mmap(0, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    char *p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    size_t *order = malloc(lines * sizeof *order);
    for (size_t i = 0; i < lines; i++) order[i] = i;
    srand(1);
    for (size_t i = lines - 1; i > 0; i--) {  /* Fisher-Yates */
        size_t j = ((size_t)rand() * RAND_MAX + (size_t)rand()) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < lines; i++)
        *(char **)(p + order[i] * 64) = p + order[(i + 1) % lines] * 64;
    char *q = p;
    long loads = 20000000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < loads; i++) q = *(char **)q;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / loads;
    printf("%g MiB huge=%d: %.1f ns a load (%p)\n", bytes / 1048576.0, huge, ns, (void *)q);
    return 0;
}
