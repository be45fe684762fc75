/*
 * Has the kernel the harness runs on (dom0's) died under it?  A BUG or an
 * oops in a kernel thread (netback's, say) leaves the machine running but
 * with that thread gone: every run after it fails for a reason that has
 * nothing to do with the run.  The kernel says so in its taint flags:
 * TAINT_DIE ('D', bit 7) is set by every oops and BUG.
 */
#ifndef VIFBENCH_KERNEL_HEALTH_H
#define VIFBENCH_KERNEL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#define TAINT_DIE_BIT (1UL << 7)

/* The taint flags from /proc/sys/kernel/tainted; 0 if unreadable. */
unsigned long kernel_taint(void);

/* Parse a /proc/sys/kernel/tainted text; false if it is not a number. */
bool kernel_taint_parse(const char *text, unsigned long *taint);

/*
 * The last line of kernel log text `log` (len bytes) that reports an oops
 * or BUG ("kernel BUG at", "BUG:", "Oops", "general protection fault",
 * "Kernel panic"), without its "<N>[  time] " prefix, into out (size n);
 * "" if none.
 */
void kernel_death_line_in(const char *log, size_t len, char *out, size_t n);

/* The same over the running kernel's log buffer (klogctl); "" if none or unreadable. */
void kernel_death_line(char *out, size_t n);

#endif
